"""The progress display of a training run: a tqdm bar on a terminal, plain lines otherwise.

r/suite/progress.R prints the same plain lines.
"""

import shutil
import sys
import time

from tqdm import tqdm

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
