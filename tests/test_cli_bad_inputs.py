"""Bad command lines and data files (fixtures/bad_cli.json) given to both training CLIs: exit 2, one line."""

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from python.suite.fixtures_io import verify_policy_file
from tests.idx_files import write_idx

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = json.loads(verify_policy_file("bad_cli.json").read_text())
ROBUSTNESS = ROOT / "build" / "robustness"
COMMANDS = {"python": [sys.executable, "-m", "python.train"], "r": ["Rscript", str(ROOT / "r" / "train.R")]}
EARLIER = "iter,loss\n0,2.302585\n"  # an earlier run's metrics.csv, which must survive
RESULTS: dict[str, list[bool]] = {"python": [], "r": []}


@pytest.fixture(scope="module")
def clean_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small valid MNIST-format data set: 300 training and 100 test images of 28x28."""
    d = tmp_path_factory.mktemp("clean")
    gen = np.random.default_rng(5)
    for stem, n in (("train", 300), ("t10k", 100)):
        write_idx(d / f"{stem}-images-idx3-ubyte", gen.integers(0, 256, (n, 28, 28)))
        write_idx(d / f"{stem}-labels-idx1-ubyte", gen.integers(0, 10, n))
    return d


def corrupt(data: Path, spec: dict) -> None:
    """Break one file of the data set as the case says."""
    path = data / spec["file"]
    raw = path.read_bytes()
    how = spec["how"]
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "magic":
        path.write_bytes(b"\x00\x00\x08\x03" + raw[4:])  # an image magic in a label file
    elif how == "fewer":
        write_idx(path, np.frombuffer(raw[8:-1], dtype=np.uint8))
    elif how == "label_10":
        path.write_bytes(raw[:-1] + b"\x0a")
    elif how.startswith("gzip"):
        packed = bytearray(gzip.compress(raw, mtime=0))
        if how == "gzip_corrupt":
            packed[len(packed) // 2] ^= 0xFF
        else:
            packed = packed[: len(packed) - 12]
        path.unlink()
        (data / f"{spec['file']}.gz").write_bytes(bytes(packed))
    else:
        raise ValueError(f"unknown corruption {how!r}")


@pytest.mark.parametrize("language", ["python", "r"])
@pytest.mark.parametrize("case", CATALOGUE["cases"], ids=lambda c: c["description"].replace(" ", "_"))
def test_bad_command_line_or_data(case: dict, language: str, clean_data: Path, tmp_path: Path) -> None:
    """Exit 2, one stderr line 'train: error: ...' with the mentions, no traceback, nothing lost."""
    data = tmp_path / "data"
    shutil.copytree(clean_data, data)
    if "data" in case:
        if "dir" in case["data"]:
            data = tmp_path / case["data"]["dir"]
        else:
            corrupt(data, case["data"])
    out = tmp_path / "out"
    out.mkdir()
    if case.get("out") == "earlier_run":
        (out / "metrics.csv").write_text(EARLIER)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    args = ["--data-dir", str(data), "--out", str(out), "--iters", "5", "--quiet", *case["args"]]
    ran = subprocess.run(COMMANDS[language] + args, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    after = {p.name: p.read_bytes() for p in out.iterdir()}  # a leaked .*.tmp counts as a change
    ok = (ran.returncode == 2 and len(lines) == 1 and lines[0].startswith("train: error:")
          and all(m in lines[0] for m in case["mentions"]) and after == before)
    RESULTS[language].append(ok)
    assert ran.returncode == 2, ran.stderr
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("train: error:")
    assert "Traceback" not in ran.stderr
    for mention in case["mentions"]:
        assert mention in lines[0]
    assert after == before, "the output directory changed"


def test_counts_recorded() -> None:
    """The README's robustness table quotes these (written after the cases above ran)."""
    ROBUSTNESS.mkdir(parents=True, exist_ok=True)
    for language, oks in RESULTS.items():
        record = {"language": language, "cases": len(oks), "clear_errors": sum(oks)}
        (ROBUSTNESS / f"bad_cli_{language}.json").write_text(json.dumps(record) + "\n")
    assert all(len(oks) in (0, len(CATALOGUE["cases"])) for oks in RESULTS.values())
