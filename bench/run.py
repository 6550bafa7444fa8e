"""`make bench`: every speed figure measured side by side in one run, reported as ratios.

bench/__init__.py sets one BLAS thread before numpy loads; PyTorch is set to one thread too, and the
R and training subprocesses inherit the environment: every language runs under the same setting.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from python.gradient import numerical_gradient
from python.optimizer import sgd_update
from python.rng import Rng
from python.two_layer_net import TwoLayerNet

from . import BLAS_THREAD_VARS
from .book_step import step as book_step_update
from .full_run import ROUNDS, full_runs

REPEATS, STEPS = 7, 200
N_PARAMS = 784 * 50 + 50 + 50 * 10 + 10
STEP_FLOP = 2 * 100 * (784 * 50 + 50 * 10) * 2  # forward and backward products, batch 100
REFERENCE_BLAS = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"
OUT = Path("build/bench")


def batch() -> tuple[np.ndarray, np.ndarray]:
    """The same pixel-like batch of 100 as bench/bench.R draws."""
    gen = Rng(1)
    return gen.integers(256, 100 * 784).reshape(100, 784) / 255.0, gen.integers(10, 100)


def per_call_ms(fn: Callable[[], object], times: int) -> float:
    """Mean wall time of one call over `times` calls, in ms."""
    start = time.perf_counter()
    for _ in range(times):
        fn()
    return (time.perf_counter() - start) / times * 1e3


def step_functions(x: np.ndarray, t: np.ndarray) -> dict[str, Callable[[], None]]:
    """The project's SGD step, the book's plain numpy step and PyTorch's, on the same weights and batch."""
    import torch  # CPU float64 with autograd: the anchor a user would pick instead

    net = TwoLayerNet(784, 50, 10, seed=0)
    book_params = {k: v.copy() for k, v in net.params.items()}
    t_one_hot = np.eye(10)[t]
    torch.set_num_threads(1)
    params = [torch.tensor(net.params[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    xt, tt = torch.tensor(x), torch.tensor(t)

    def python_step() -> None:
        net.params = sgd_update(net.params, net.gradient(x, t), 0.1)

    def torch_step() -> None:
        w1, b1, w2, b2 = params
        logits = torch.sigmoid(xt @ w1 + b1) @ w2 + b2
        torch.nn.functional.cross_entropy(logits, tt).backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
    return {"py": python_step, "book": lambda: book_step_update(book_params, x, t_one_hot, 0.1),
            "torch": torch_step}


def interleaved(steps: dict[str, Callable[[], None]]) -> dict[str, list[float]]:
    """ms per step of each, its REPEATS blocks of STEPS taken in turn, so that a change of load hits all."""
    for fn in steps.values():
        per_call_ms(fn, 20)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(REPEATS):
        for name, fn in steps.items():
            times[name].append(per_call_ms(fn, STEPS))
    return times


def r_timings(preload: str | None = None) -> dict:
    """bench/bench.R under OpenBLAS, or with another BLAS (Debian's reference BLAS) preloaded."""
    env = {**os.environ, "LD_PRELOAD": preload} if preload else None
    out = subprocess.run(["Rscript", "bench/bench.R", str(REPEATS), str(STEPS // 4)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def python_numerical(x: np.ndarray, t: np.ndarray) -> tuple[list[float], list[float]]:
    """The plain definition per element (two full losses, timed on all of W2) and the series method."""
    net = TwoLayerNet(784, 50, 10, seed=0)
    w2 = net.params["W2"].copy()

    def plain_w2() -> None:
        numerical_gradient(lambda w: net.loss(x, t, {**net.params, "W2": w}), w2)
    book = [per_call_ms(plain_w2, 1) / w2.size for _ in range(3)]
    series = [per_call_ms(lambda: net.numerical_gradient(x, t), 5) for _ in range(REPEATS)]
    return book, series


def matmul_gflops() -> float:
    """The machine's large-matmul rate in numpy (the floor's denominator)."""
    a = np.random.default_rng(0).random((2000, 2000))
    a @ a
    return 2 * 2000**3 / min(per_call_ms(lambda: a @ a, 1) for _ in range(5)) / 1e6


def row(what: str, samples: list[float] | None, unit: str, ratio_to: str = "", ratio: float | None = None,
        goal: str = "", met: bool | None = None) -> dict:
    """One table row from repeated samples: their median and relative spread (max - min) / median."""
    med = float(np.median(samples)) if samples else float("nan")
    spread = (max(samples) - min(samples)) / med if samples else float("nan")
    return {"measurement": what, "median": med, "unit": unit, "spread": spread, "ratio": ratio,
            "ratio_to": ratio_to, "goal": goal, "met": met}


def ratio_row(what: str, samples: list[float] | None, unit: str, ratio_to: str = "",
              denominator: float | None = None, goal: float | None = None) -> dict:
    """A row whose ratio is its median time over the median time of `ratio_to`, with an upper goal."""
    ratio = float(np.median(samples)) / denominator if samples and denominator else None
    met = None if goal is None or ratio is None else bool(ratio <= goal)
    return row(what, samples, unit, ratio_to, ratio, f"<= {goal}" if goal is not None else "", met)


def numerical_rows(language: str, book_ms_per_element: list[float], series_ms: list[float]) -> list[dict]:
    """The book loop (scaled to all weights) and the series method, with the series' speed-up."""
    book = [v * N_PARAMS / 1e3 for v in book_ms_per_element]
    speedup = float(np.median(book)) * 1e3 / float(np.median(series_ms))
    return [row(f"numerical gradient, book loop, {language} (scaled)", book, "s"),
            row(f"numerical gradient, series, {language}", series_ms, "ms", "book loop (speed-up)", speedup,
                ">= 1000", speedup >= 1000)]


def training_rows(runs: dict[str, list[dict]]) -> list[dict]:
    """Full default runs: the CLIs against the plain loop and each other, and their peak RSS."""
    wall = {who: [run["wall_s"] if run["ok"] else float("nan") for run in rs] for who, rs in runs.items()}
    med = {who: float(np.median(w)) for who, w in wall.items()}
    rows = [
        row("full run, plain numpy loop (bench/plain_loop.py)", wall["plain loop"], "s"),
        ratio_row("full run, Python CLI", wall["Python"], "s", "plain loop", med["plain loop"], 1.3),
        ratio_row("full run, R CLI", wall["R"], "s", "Python CLI", med["Python"], 1.5),
    ]
    for who, goal in (("plain loop", None), ("Python", 300), ("R", 600)):
        rss = [run["peak_rss_mb"] for run in runs[who]]
        rows.append(row(f"peak RSS of that run, {who}", rss, "MB", goal=f"<= {goal} MB" if goal else "",
                        met=bool(max(rss) <= goal) if goal else None))
    return rows


def main() -> int:
    """Measure everything in one run, print the table, write build/bench/bench.json."""
    import pandas as pd
    x, t = batch()
    steps = interleaved(step_functions(x, t))
    r_open = r_timings()
    r_ref = r_timings(REFERENCE_BLAS) if Path(REFERENCE_BLAS).exists() else None
    py_book, py_series = python_numerical(x, t)
    py_ms, torch_ms = float(np.median(steps["py"])), float(np.median(steps["torch"]))
    gflops = matmul_gflops()
    floor_ms = STEP_FLOP / gflops / 1e6
    rows = [
        ratio_row("SGD step, Python (numpy)", steps["py"], "ms", "PyTorch", torch_ms, 0.6),
        ratio_row("SGD step, the book's plain numpy (anchor)", steps["book"], "ms", "PyTorch", torch_ms),
        row("SGD step, PyTorch CPU float64 autograd", steps["torch"], "ms"),
        ratio_row("SGD step, R + OpenBLAS", r_open["step_ms"], "ms", "Python", py_ms, 1.5),
        ratio_row("SGD step, R + reference BLAS", r_ref["step_ms"] if r_ref else None, "ms", "Python",
                  py_ms),
        row("floor: step flop / large-matmul rate", [floor_ms], "ms", "Python step", py_ms / floor_ms),
        *numerical_rows("Python", py_book, py_series),
        *numerical_rows("R", r_open["book_ms_per_element"], r_open["series_ms"]),
    ]
    runs = {} if "--skip-training" in sys.argv else full_runs()
    if runs:
        rows += training_rows(runs)
    threads = ", ".join(f"{v}={os.environ[v]}" for v in BLAS_THREAD_VARS)
    header = (f"BLAS threads: 1 in every language ({threads} for numpy, R and the training CLIs; "
              "torch.set_num_threads(1)).\nratio = this row's median time / the median time of "
              "`ratio_to` (a time ratio: lower is faster; 0.6 vs PyTorch means 0.6x PyTorch's time), "
              "except the series rows: book loop time / series time (a speed-up).")
    table = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"blas_threads": threads, "matmul_gflops": gflops, "step_flop": STEP_FLOP, "repeats": REPEATS,
            "steps": STEPS, "r_blas": r_open["blas"], "full_runs": runs, "rows": rows}
    (OUT / "bench.json").write_text(json.dumps(meta, indent=1, default=float) + "\n")
    print(header)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format",
                           "{:.4g}".format):
        print(table.to_string(index=False))
    print(f"large-matmul rate {gflops:.1f} GFLOP/s; R BLAS {r_open['blas']}; medians of {REPEATS} runs "
          f"(full runs: {ROUNDS} rounds, interleaved); spread = (max - min) / median; "
          f"table in {OUT / 'bench.json'}")
    if runs:
        accs = {who: sorted({(run["train_acc"], run["test_acc"]) for run in rs}) for who, rs in runs.items()}
        same = len({acc for found in accs.values() for acc in found}) == 1
        print(f"full runs, final (train, test) accuracy: {accs}: "
              f"{'the same experiment' if same else 'DIFFERENT: the runs did not do the same work'}")
    missed = [r["measurement"] for r in rows if r["met"] is False]
    print(f"goals met: {sum(r['met'] is True for r in rows)}, missed: {len(missed)} {missed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
