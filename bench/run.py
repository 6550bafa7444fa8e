"""`make bench`: every speed figure measured side by side in one run, reported as ratios."""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from python.gradient import numerical_gradient
from python.optimizer import sgd_update
from python.rng import Rng
from python.two_layer_net import TwoLayerNet

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


def median_spread(samples: list[float]) -> tuple[float, float]:
    """Median and relative spread (max - min) / median."""
    med = float(np.median(samples))
    return med, (max(samples) - min(samples)) / med


def python_step(x: np.ndarray, t: np.ndarray) -> list[float]:
    """The project's backprop SGD step."""
    net = TwoLayerNet(784, 50, 10, seed=0)

    def step() -> None:
        net.params = sgd_update(net.params, net.gradient(x, t), 0.1)
    per_call_ms(step, 20)
    return [per_call_ms(step, STEPS) for _ in range(REPEATS)]


def torch_step(x: np.ndarray, t: np.ndarray) -> list[float] | None:
    """PyTorch CPU float64 with autograd: the anchor a user would pick instead."""
    try:
        import torch
    except ImportError:
        return None
    net = TwoLayerNet(784, 50, 10, seed=0)
    params = [torch.tensor(net.params[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    xt, tt = torch.tensor(x), torch.tensor(t)

    def step() -> None:
        w1, b1, w2, b2 = params
        logits = torch.sigmoid(xt @ w1 + b1) @ w2 + b2
        torch.nn.functional.cross_entropy(logits, tt).backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
    per_call_ms(step, 20)
    return [per_call_ms(step, STEPS) for _ in range(REPEATS)]


def r_timings(reference_blas: bool) -> dict | None:
    """bench/bench.R under OpenBLAS, or under Debian's reference BLAS (LD_PRELOAD) if installed."""
    env = dict(os.environ)
    if reference_blas:
        if not Path(REFERENCE_BLAS).exists():
            return None
        env["LD_PRELOAD"] = REFERENCE_BLAS
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


# Linux folds the memory high-water mark of a process's image before exec into its ru_maxrss, so a
# command spawned straight from this process (hundreds of MB with torch loaded) would report at least
# this process's size. A small launcher spawns it instead and reports its wall time and ru_maxrss
# (which covers its waited-for children, e.g. a worker process: the largest of them).
LAUNCHER = """import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"wall_s": time.perf_counter() - start, "status": status, "maxrss_kb": usage.ru_maxrss}))
"""


def training(command: list[str]) -> dict:
    """A full default training run: wall time and peak RSS of the process."""
    with tempfile.TemporaryDirectory() as out:
        launched = subprocess.run([sys.executable, "-c", LAUNCHER, *command, "--quiet", "--out", out],
                                  capture_output=True, text=True, check=True)
        run = json.loads(launched.stdout)
        ok = run["status"] == 0
        summary = json.loads((Path(out) / "summary.json").read_text()) if ok else {}
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["maxrss_kb"] / 1024, "ok": ok,
            "test_acc": summary.get("final_test_acc")}


def matmul_gflops() -> float:
    """The machine's large-matmul rate in numpy (the floor's denominator)."""
    a = np.random.default_rng(0).random((2000, 2000))
    a @ a
    return 2 * 2000**3 / min(per_call_ms(lambda: a @ a, 1) for _ in range(5)) / 1e6


def row(what: str, samples: list[float] | None, unit: str, ratio_to: str = "", ratio: float | None = None,
        goal: str = "", met: bool | None = None) -> dict:
    """One table row from repeated samples."""
    med, spread = median_spread(samples) if samples else (float("nan"), float("nan"))
    return {"measurement": what, "median": med, "unit": unit, "spread": spread, "ratio": ratio,
            "ratio_to": ratio_to, "goal": goal, "met": met}


def main() -> int:
    """Measure everything in one run, print the table, write build/bench/bench.json."""
    import pandas as pd
    x, t = batch()
    py_step, torch_ms = python_step(x, t), torch_step(x, t)
    r_open, r_ref = r_timings(False), r_timings(True)
    py_book, py_series = python_numerical(x, t)
    med = {k: median_spread(v)[0] for k, v in
           {"py": py_step, "torch": torch_ms or [np.nan], "r": r_open["step_ms"],
            "py_book": py_book, "py_series": py_series, "r_book": r_open["book_ms_per_element"],
            "r_series": r_open["series_ms"]}.items()}
    gflops = matmul_gflops()
    floor_ms = STEP_FLOP / gflops / 1e6
    rows = [
        row("SGD step, Python (numpy)", py_step, "ms", "PyTorch", med["py"] / med["torch"], "<= 0.6",
            med["py"] / med["torch"] <= 0.6),
        row("SGD step, PyTorch CPU float64 autograd", torch_ms, "ms"),
        row("SGD step, R + OpenBLAS", r_open["step_ms"], "ms", "Python", med["r"] / med["py"], "<= 1.5",
            med["r"] / med["py"] <= 1.5),
        row("SGD step, R + reference BLAS", r_ref["step_ms"] if r_ref else None, "ms", "Python",
            median_spread(r_ref["step_ms"])[0] / med["py"] if r_ref else None),
        row("floor: step flop / large-matmul rate", [floor_ms], "ms", "Python step", med["py"] / floor_ms),
        row("numerical gradient, book loop, Python (scaled)", [v * N_PARAMS / 1e3 for v in py_book], "s"),
        row("numerical gradient, series, Python", py_series, "ms", "book loop",
            med["py_book"] * N_PARAMS / med["py_series"], ">= 1000",
            med["py_book"] * N_PARAMS / med["py_series"] >= 1000),
        row("numerical gradient, book loop, R (scaled)",
            [v * N_PARAMS / 1e3 for v in r_open["book_ms_per_element"]], "s"),
        row("numerical gradient, series, R", r_open["series_ms"], "ms", "book loop",
            med["r_book"] * N_PARAMS / med["r_series"], ">= 1000",
            med["r_book"] * N_PARAMS / med["r_series"] >= 1000),
    ]
    if "--skip-training" not in sys.argv:
        for lang, cmd, goal_s in [("Python", [sys.executable, "-m", "python.train"], 15),
                                  ("R", ["Rscript", "r/train.R"], 25)]:
            run = training(cmd)
            rows.append(row(f"training 10,000 iterations, {lang}", [run["wall_s"]], "s", "goal",
                            run["wall_s"] / goal_s, f"<= {goal_s} s", run["ok"] and run["wall_s"] <= goal_s))
            rss_goal = 300 if lang == "Python" else None
            rows.append(row(f"peak RSS of that run, {lang}", [run["peak_rss_mb"]], "MB", "",
                            None, f"<= {rss_goal} MB" if rss_goal else "",
                            run["peak_rss_mb"] <= rss_goal if rss_goal else None))
    table = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"matmul_gflops": gflops, "step_flop": STEP_FLOP, "repeats": REPEATS, "steps": STEPS,
            "r_blas": r_open["blas"], "rows": rows}
    (OUT / "bench.json").write_text(json.dumps(meta, indent=1, default=float) + "\n")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format",
                           "{:.4g}".format):
        print(table.to_string(index=False))
    print(f"large-matmul rate {gflops:.1f} GFLOP/s; R BLAS {r_open['blas']}; medians of {REPEATS} runs; "
          f"spread = (max - min) / median; table in {OUT / 'bench.json'}")
    missed = [r["measurement"] for r in rows if r["met"] is False]
    print(f"goals met: {sum(r['met'] is True for r in rows)}, missed: {len(missed)} {missed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
