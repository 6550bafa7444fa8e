"""Copy the fixtures and append cases (exact values, correct checksums): they appear with no code change.

`python -m parity_tests.extra_case DEST` writes DEST (a fixtures directory) with two more cases:
- sigmoid `demo/matrix_2x3`: a non-square matrix input, expected from the generator's 60-digit oracle;
- TwoLayerNet.accuracy `ties/zero_W2_40_rows/labels`: W2 = 0 and b2 = 0 make all 5 classes tie
  exactly (softmax of zeros is 1/5 bit for bit), the labels are all 0, so the first-maximum rule
  gives accuracy 1.0 exactly, any other tie rule less (R's random ties survive with 5^-40).
Then `python -m parity_tests.run --fixtures DEST` shows them in the table.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np

from fixtures import oracle
from fixtures.builders_functions import exact_map
from fixtures.encode import case
from python.suite.fixtures_io import FIXTURES_DIR, file_sha256


def demo_cases() -> dict[str, list[dict]]:
    """The cases to append, by function."""
    x = np.array([[-3.25, -0.1, 0.0], [0.7, 12.0, -30.5]])
    sigmoid = case("demo/matrix_2x3", "a non-square matrix, added by parity_tests.extra_case", "elementwise",
                   {"x": x}, exact_map(oracle.sigmoid, x))
    rng = np.random.default_rng(2027)
    params = {"W1": rng.normal(0, 1, (4, 3)), "b1": np.zeros(3), "W2": np.zeros((3, 5)), "b2": np.zeros(5)}
    ties = case("ties/zero_W2_40_rows/labels", "all 5 classes tie in 40 rows, every label 0", "exact",
                {"params": params, "x": rng.normal(0, 1, (40, 4)), "t": np.zeros(40, dtype=np.int64)},
                np.float64(1.0))
    return {"sigmoid": [sigmoid], "TwoLayerNet.accuracy": [ties]}


def append_cases(dest: Path, extra: dict[str, list[dict]], source: Path = FIXTURES_DIR) -> None:
    """Copy source to dest, append the cases, update the manifest's checksums and case counts."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"), dirs_exist_ok=True)
    manifest = json.loads((dest / "manifest.json").read_text())
    for function, cases in extra.items():
        entry = manifest["files"][function]
        path = dest / entry["path"]
        text = path.read_text()
        end = text.rindex("\n]}")
        added = "".join(",\n" + json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases)
        path.write_text(text[:end] + added + text[end:])
        entry["sha256"], entry["cases"] = file_sha256(path), entry["cases"] + len(cases)
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures-extra")
    append_cases(target, demo_cases())
    print(f"wrote {target}: " + ", ".join(f"{f} +{len(c)}" for f, c in demo_cases().items()))
