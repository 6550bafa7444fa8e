"""The chapter's figures 4-7, 4-9, 4-10, 4-11 and 4-12, drawn with matplotlib (Agg): `make figures`.

r/figures.R draws the same five (same size, titles, labels and colours) with base R graphics. A training
run's curves.png (python/train.py) is figures 4-11 and 4-12 side by side.
Usage: python -m python.figures --out DIR [--run RUN_DIR]; without --run, a small training run is
made first (python -m python.train, few iterations on a training subset) and its curves are drawn.
"""

import argparse
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure  # Figure.savefig renders with Agg: no display, no pyplot state

from python.gradient import gradient_descent, numerical_diff, numerical_gradient

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 4.8, 100  # 640 x 480 pixels, in both languages
TRAIN_COLOUR, TEST_COLOUR = "#1f77b4", "#ff7f0e"  # matplotlib's C0 and C1, used by the book's plots
GREY = "#666666"
NAMES = ("fig4-7.png", "fig4-9.png", "fig4-10.png", "fig4-11.png", "fig4-12.png")
# The small run drawn when no run directory is given: 20 epochs of 50 iterations on 5000 images.
SMALL_RUN = ("--iters", "1000", "--train-limit", "5000", "--eval-every", "50", "--seed", "0", "--quiet")


def function_1(x: np.ndarray) -> np.ndarray:
    """The book's (4.5): 0.01 x^2 + 0.1 x."""
    return 0.01 * x**2 + 0.1 * x


def function_2(x: np.ndarray) -> float:
    """The book's (4.6): x0^2 + x1^2."""
    return float(np.sum(x**2))


@contextmanager
def new_figure(path: str | Path, width: float = WIDTH_IN, height: float = HEIGHT_IN,
               columns: int = 1) -> Iterator:
    """The axes (one per column) of a figure, 640 x 480 by default, laid out and saved as PNG on exit."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    yield fig.subplots(1, columns)
    fig.tight_layout()
    fig.savefig(path, format="png")


def fig4_7(path: Path) -> None:
    """function_1 on [0, 20) and its tangent at x = 5, slope from numerical_diff (gradient_1d.py)."""
    x = np.arange(0.0, 20.0, 0.1)
    slope = numerical_diff(function_1, 5.0)
    tangent = slope * (x - 5.0) + function_1(5.0)
    with new_figure(path) as ax:
        ax.plot(x, function_1(x), color=TRAIN_COLOUR, label="f(x) = 0.01x² + 0.1x")
        ax.plot(x, tangent, color=TEST_COLOUR, linestyle="--", label=f"tangent at x = 5 (slope {slope:.4f})")
        ax.set(title="Fig. 4-7: f(x) and its tangent at x = 5", xlabel="x", ylabel="f(x)")
        ax.legend(loc="upper left")


def fig4_9(path: Path, step: float = 0.25) -> None:
    """-grad function_2 on a grid of [-2, 2.25]^2 as arrows: they point to the minimum (gradient_2d.py)."""
    x0, x1 = np.meshgrid(np.arange(-2, 2.5, step), np.arange(-2, 2.5, step))
    points = np.column_stack([x0.ravel(), x1.ravel()])
    grad = np.array([numerical_gradient(function_2, p.copy()) for p in points])
    with new_figure(path) as ax:
        ax.quiver(points[:, 0], points[:, 1], -grad[:, 0], -grad[:, 1], angles="xy", color=GREY)
        ax.set(title="Fig. 4-9: -grad f(x0, x1), f = x0² + x1²", xlabel="x0", ylabel="x1",
               xlim=(-2, 2), ylim=(-2, 2))
        ax.grid(True, color="#dddddd")


def fig4_10(path: Path, lr: float = 0.1, step_num: int = 20) -> None:
    """Gradient descent on function_2 from (-3, 4), lr 0.1, 20 steps (gradient_method.py)."""
    _, x_history = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=lr, step_num=step_num,
                                    history=True)
    angle = np.linspace(0, 2 * np.pi, 200)
    with new_figure(path) as ax:
        for r in (1, 2, 3, 4, 5):  # contours of function_2, which the book's figure shows
            ax.plot(r * np.cos(angle), r * np.sin(angle), color="#dddddd", linewidth=0.8)
        ax.axhline(0, color=GREY, linestyle="--", linewidth=0.8)
        ax.axvline(0, color=GREY, linestyle="--", linewidth=0.8)
        ax.plot(x_history[:, 0], x_history[:, 1], "o", color=TRAIN_COLOUR, markersize=5)
        ax.set(title=f"Fig. 4-10: gradient descent from (-3, 4), lr = {lr:g}, {step_num} steps",
               xlabel="X0", ylabel="X1", xlim=(-3.5, 3.5), ylim=(-4.5, 4.5))


def epoch_ticks(last: int) -> list[int]:
    """Whole-epoch ticks 0, k, 2k, ... (at most 9), the same in r/figures.R."""
    step = max(1, -(-last // 8))
    return list(range(0, last + 1, step))


def loss_curve(ax: Axes, iters: Sequence[float], losses: Sequence[float]) -> None:
    """Fig. 4-11 on ax: the minibatch loss of every iteration."""
    ax.plot(iters, losses, color=TRAIN_COLOUR, linewidth=0.6)
    ax.set(title="Fig. 4-11: training loss", xlabel="iteration", ylabel="loss")
    ax.set_ylim(bottom=0)


def accuracy_curves(ax: Axes, epochs: Sequence[float], train_acc: Sequence[float],
                    test_acc: Sequence[float]) -> None:
    """Fig. 4-12 on ax: train and test accuracy at each evaluation."""
    ax.plot(epochs, train_acc, color=TRAIN_COLOUR, marker="o", markersize=3, label="train acc")
    ax.plot(epochs, test_acc, color=TEST_COLOUR, marker="s", markersize=3, linestyle="--",
            label="test acc")
    ax.set(title="Fig. 4-12: accuracy", xlabel="epochs", ylabel="accuracy", ylim=(0.0, 1.0))
    ax.set_xticks(epoch_ticks(int(max(epochs))))
    ax.legend(loc="lower right")


def curves(path: str | Path, iters: Sequence[int], losses: Sequence[float], epochs: Sequence[int],
           train_acc: Sequence[float], test_acc: Sequence[float], subtitle: str) -> None:
    """A training run's curves.png: figures 4-11 and 4-12 side by side (1000 x 400), under subtitle."""
    with new_figure(path, 10.0, 4.0, columns=2) as (ax_loss, ax_acc):
        loss_curve(ax_loss, iters, losses)
        accuracy_curves(ax_acc, epochs, train_acc, test_acc)
        ax_loss.figure.suptitle(subtitle, fontsize=10)


def small_run(run_dir: Path) -> Path:
    """Train briefly with the command line (python -m python.train) into run_dir, replaced if present."""
    shutil.rmtree(run_dir, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "python.train", *SMALL_RUN, "--out", str(run_dir)], check=True)
    return run_dir


def draw_all(out: Path, run_dir: Path) -> list[Path]:
    """Write the five figures into out; 4-11 and 4-12 are the curves of the run in run_dir."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in NAMES]
    fig4_7(paths[0])
    fig4_9(paths[1])
    fig4_10(paths[2])
    m = np.genfromtxt(run_dir / "metrics.csv", delimiter=",", names=True, ndmin=1)
    e = np.genfromtxt(run_dir / "epochs.csv", delimiter=",", names=True, ndmin=1)
    with new_figure(paths[3]) as ax:
        loss_curve(ax, m["iter"], m["loss"])
    with new_figure(paths[4]) as ax:
        accuracy_curves(ax, e["epoch"], e["train_acc"], e["test_acc"])
    return paths


def main(argv: list[str] | None = None) -> int:
    """Draw every figure; print the files written."""
    parser = argparse.ArgumentParser(prog="python -m python.figures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("build/figures/python"), help="output directory")
    parser.add_argument("--run", type=Path,
                        help="a run directory (metrics.csv, epochs.csv) [a small run made in OUT/run]")
    args = parser.parse_args(argv)
    run_dir = args.run if args.run is not None else small_run(args.out / "run")
    for path in draw_all(args.out, run_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
