"""`make accuracy`: the dense accuracy check of both languages; figures in build/accuracy/ (JSON, markdown).

`--small` is the deterministic smaller form that `make test` runs. Exit 1 if a measured maximum exceeds
the bound that fixtures/tolerances.json states for the function, 0 otherwise.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from parity_tests.accuracy import exact, inputs, measure, screen
from parity_tests.r_bridge import RBridge
from python import functions, rng
from python.suite.tolerance import load_policy

ROOT = Path(__file__).resolve().parents[2]
# (elementwise inputs, softmax elements, cross-entropy labels, seeds x 100 draws, decided exactly per lang)
SIZES = {"full": (4_000_000, 1_000_000, 400_000, 30_000, 5000),
         "small": (1_000_000, 200_000, 100_000, 10_000, 1000)}
INIT_STD = 0.01  # TwoLayerNet's weight_init_std: the scaled normals of the rng_normal class
# The bound each function is checked against: the class of its fixture cases (unit of the class).
BOUNDS = {"sigmoid": "elementwise", "sigmoid_grad": "elementwise_product", "softmax": "softmax",
          "cross_entropy_error": "reduction", "Rng.normal": "rng_normal", "Rng.normal * 0.01": "rng_normal"}


def elementwise_rows(r: RBridge, n: int, top: int) -> list[dict]:
    """sigmoid and sigmoid_grad on the same inputs."""
    regions = inputs.elementwise(n)
    x = np.concatenate(list(regions.values()))
    audit = np.flatnonzero(np.isin(x, inputs.AUDIT_X))
    out = []
    for name, screen_fn, exact_fn in [("sigmoid", screen.sigmoid, exact.sigmoid),
                                      ("sigmoid_grad", screen.sigmoid_grad, exact.sigmoid_grad)]:
        got = {"python": getattr(functions, name)(x), "r": r.eval(name, x)}
        out.append(measure.elementwise(name, x, got, top, audit, screen_fn, exact_fn))
    return out


def normal_rows(r: RBridge, n_seeds: int, top: int) -> list[dict]:
    """Rng.normal (AS241 on the generator's uniforms) and the same normals scaled as TwoLayerNet's weights."""
    seeds, u_stream = inputs.stream_uniforms(n_seeds, 100)
    u = np.concatenate([u_stream.ravel(), inputs.AUDIT_U])
    audit = np.arange(u_stream.size, u.size)
    z = {"python": rng.qnorm_as241(u), "r": r.eval("qnorm_as241", u)}
    ref = screen.normal_quantile(u, z["python"])
    rows = [measure.elementwise("Rng.normal", u, z, top, audit, lambda _: ref, exact.normal_quantile)]
    std = exact.mp.mpf(INIT_STD)
    scaled = {k: INIT_STD * v for k, v in z.items()}
    rows.append(measure.elementwise("Rng.normal * 0.01", u, scaled, top, audit,
                                    lambda _: np.longdouble(INIT_STD) * ref,
                                    lambda v: std * exact.normal_quantile(v)))
    for row in rows:  # where a stream input came from: Rng(seed).normal(draw + 1) ends with it
        for lang in measure.LANGS:
            i = row[lang].pop("index")
            if i < u_stream.size:
                row[lang]["seed"], row[lang]["draw"] = int(seeds[i // 100]), int(i % 100)
    return rows


def softmax_row(r: RBridge, n_elements: int, policy: dict) -> dict:
    """softmax on matrices of rows of several lengths and scales."""
    matrices = inputs.softmax_rows(n_elements)
    got = {"python": [functions.softmax(x) for x in matrices], "r": [r.eval("softmax", x) for x in matrices]}
    return measure.softmax(matrices, got, policy, 40)


def cross_entropy_row(r: RBridge, n_picks: int, policy: dict) -> dict:
    """cross_entropy_error on batches of several sizes, class counts and sharpness."""
    batches = inputs.cross_entropy_batches(n_picks)
    got = {"python": np.array([functions.cross_entropy_error(y, t) for y, t in batches]),
           "r": np.array([r.eval("cross_entropy_error", y, t.astype(np.int32))[0] for y, t in batches])}
    return measure.cross_entropy(batches, got, policy)


def checked(row: dict, lang: str) -> tuple[float, Any]:
    """What the class bounds: ULPs from the rounded exact value, or the ratio to the bound; and where."""
    if row["unit"] == "ULP":
        return row[lang]["max_vs_rounded"], row[lang]["input_vs_rounded"]
    return row[lang]["max_error"], row[lang]["input"]


def markdown(rows: list[dict], form: str, seconds: float) -> str:
    """The figures as a markdown table."""
    lines = [f"Dense accuracy check ({form} form, {seconds:.0f} s): max error against the exact value "
             "(mpmath, 256 bits) and the worst input; against the exact value rounded once (what the "
             "fixtures' class bounds); Python-vs-R bit differences; the class bound (tolerances.json).",
             "", "| function | inputs | unit | max Python (input) | max R (input) | vs rounded py/R "
             "| py/R bits differ | class bound |", "|---|---:|---|---|---|---|---:|---:|"]
    for row in rows:
        cells = [f"{row[lang]['max_error']:.3f} ({row[lang]['input']!r})".replace("'", "")
                 for lang in measure.LANGS]
        vs = "/".join(f"{checked(row, lang)[0]:.3g}" for lang in measure.LANGS)
        lines.append(f"| {row['function']} | {row['inputs']:,} | {row['unit']} | {cells[0]} | {cells[1]} "
                     f"| {vs} | {row['bit_differences']:,} | {row['bound']:g} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure, write build/accuracy/accuracy.json and accuracy.md, print the table; 1 if a bound fails."""
    parser = argparse.ArgumentParser(prog="python -m parity_tests.accuracy.run", description=__doc__)
    parser.add_argument("--small", action="store_true", help="the smaller form (make test)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "accuracy")
    args = parser.parse_args(argv)
    form = "small" if args.small else "full"
    n, n_softmax, n_picks, n_seeds, top = SIZES[form]
    start = time.perf_counter()
    policy, r = load_policy(ROOT / "fixtures"), RBridge.get(ROOT)
    rows = elementwise_rows(r, n, top) + normal_rows(r, n_seeds, top)
    rows += [softmax_row(r, n_softmax, policy), cross_entropy_row(r, n_picks, policy)]
    seconds = time.perf_counter() - start
    failures = []
    for row in rows:
        # The bound of the function's class in the row's unit: max_ulp for ULPs, 1 for a ratio to the bound.
        row["bound"] = float(policy[BOUNDS[row["function"]]]["max_ulp"]) if row["unit"] == "ULP" else 1.0
        failures += [f"FAIL accuracy {row['function']} {lang}: {checked(row, lang)[0]:.3f} {row['unit']} at "
                     f"{checked(row, lang)[1]!r} > {row['bound']:g}" for lang in measure.LANGS
                     if checked(row, lang)[0] > row["bound"]]
    args.out.mkdir(parents=True, exist_ok=True)
    table = markdown(rows, form, seconds)
    (args.out / "accuracy.json").write_text(json.dumps({"form": form, "seconds": round(seconds, 1),
                                                        "rows": rows, "failures": failures}, indent=1) + "\n")
    (args.out / "accuracy.md").write_text(table)
    print(table + "\n".join(failures))
    print(f"accuracy ({form}): {len(rows)} functions, {len(failures)} over their bound, {seconds:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
