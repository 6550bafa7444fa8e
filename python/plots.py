"""Run reporting: the progress display, and curves.png (the book's figures 4-11 and 4-12).

r/plots.R draws the same figure (same size, titles, labels, colours and line styles) with base R
and prints the same progress lines.
"""

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure  # Figure.savefig renders with Agg: no display, no pyplot state
from tqdm import tqdm

TRAIN_COLOUR, TEST_COLOUR = "#1f77b4", "#ff7f0e"  # matplotlib's C0 and C1, used by the book's plots
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 4.0, 100
LOSS_TITLE, ACC_TITLE = "Training loss (fig. 4-11)", "Accuracy (fig. 4-12)"
LINE_EVERY_SECONDS = 30.0


def hms(seconds: float) -> str:
    """Seconds as 1h02m03s, 2m03s or 3s."""
    s = round(seconds)
    h, m = s // 3600, (s % 3600) // 60
    return f"{h}h{m:02d}m{s % 60:02d}s" if h else (f"{m}m{s % 60:02d}s" if m else f"{s % 60}s")


class Progress:
    """A tqdm bar on a terminal, plain progress lines when stdout is not one, nothing if quiet."""

    def __init__(self, total: int, quiet: bool) -> None:
        """Start the clock; open a bar only if stdout is a terminal."""
        self.total, self.quiet = total, quiet
        # shutil falls back to 80 x 24 where a terminal reports 0 x 0 (tqdm would then draw nothing).
        size = shutil.get_terminal_size()
        self.bar = None if quiet or not sys.stdout.isatty() else tqdm(
            total=total, file=sys.stdout, unit="it", smoothing=0.05, ncols=size.columns, nrows=size.lines)
        self.start = self.last = time.monotonic()
        self.step = max(1, total // 10)

    def update(self, done: int, loss: float) -> None:
        """Record that `done` iterations are finished (call after every one, so the ETA is honest)."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
            self.bar.update(1)
            return
        now = time.monotonic()
        if not self.quiet and (done % self.step == 0 or done == self.total
                               or now - self.last >= LINE_EVERY_SECONDS):
            elapsed = now - self.start
            print(f"iter {done}/{self.total} ({100 * done / self.total:.0f}%) loss {loss:.4f} "
                  f"elapsed {hms(elapsed)} eta {hms(elapsed / done * (self.total - done))}", flush=True)
            self.last = now

    def write(self, line: str) -> None:
        """Print a line (above the bar, if there is one)."""
        if self.bar is not None:
            self.bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def close(self) -> None:
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.close()


def epoch_ticks(last: int) -> list[int]:
    """Whole-epoch ticks 0, k, 2k, ... (at most 9), the same in r/plots.R."""
    step = max(1, -(-last // 8))
    return list(range(0, last + 1, step))


def plot_curves(path: str | Path, iters: Sequence[int], losses: Sequence[float],
                epochs: Sequence[int], train_acc: Sequence[float], test_acc: Sequence[float],
                subtitle: str = "") -> None:
    """Draw the loss curve and the train/test accuracy curves into a PNG file at path."""
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(iters, losses, color=TRAIN_COLOUR, linewidth=0.6)
    ax_loss.set(title=LOSS_TITLE, xlabel="iteration", ylabel="loss")
    ax_loss.set_ylim(bottom=0)
    ax_acc.plot(epochs, train_acc, color=TRAIN_COLOUR, marker="o", markersize=3, label="train acc")
    ax_acc.plot(epochs, test_acc, color=TEST_COLOUR, marker="s", markersize=3, linestyle="--",
                label="test acc")
    ax_acc.set(title=ACC_TITLE, xlabel="epochs", ylabel="accuracy", ylim=(0.0, 1.0))
    ax_acc.set_xticks(epoch_ticks(max(epochs, default=0)))
    ax_acc.legend(loc="lower right")
    if subtitle:
        fig.suptitle(subtitle, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png")
