"""Kill test (issue 8): kill a training run at drawn moments, check the files on disk, resume, compare.

For each language's CLI: one uninterrupted reference run, then for each seed a run killed (SIGKILL,
or SIGINT to the process group as ^C does) after a delay drawn from random.Random(seed), sometimes
its resumption killed too, then resumed to the end. After every kill each run file present must be
complete and valid (the checkpoint decodes with its checksums and matches the reference's prefix;
metrics.csv and epochs.csv are the checkpoint's version or the next one); the finished run's
metrics.csv, epochs.csv and checkpoint.bin must equal the reference's bytes, summary.json too apart
from timing, resumed_from and the output directory. The counts go to
build/robustness/kill_<language>.json for the README's table.

The moments are drawn deterministically; where they land in the run depends on the machine's speed,
which is the point: every moment must be safe.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from python.suite.checkpoint import decode_checkpoint
from python.suite.run_files import RUN_FILES
from python.suite.train_state import decode_state
from tests.idx_files import write_idx

ROOT = Path(__file__).resolve().parents[1]
RSCRIPT = shutil.which("Rscript")
COMMANDS = {"python": [sys.executable, "-m", "python.train"], "r": [RSCRIPT or "Rscript", "r/train.R"]}
ITERS, EVERY = 400, 20
FLAGS = ["--iters", str(ITERS), "--batch-size", "50", "--eval-every", str(EVERY), "--seed", "1", "--quiet"]
SEEDS = range(6)
SIGINT_SEEDS = {1, 4}  # ^C; the others SIGKILL
PNG_END = b"IEND\xaeB`\x82"


def write_data(d: Path, n_train: int = 1000, n_test: int = 200) -> Path:
    """A learnable MNIST-format set: class templates plus noise."""
    rng = np.random.default_rng(8)
    templates = rng.integers(0, 256, size=(10, 28, 28))
    d.mkdir(parents=True)
    for stem, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, size=n)
        images = np.clip(templates[labels] + rng.integers(-60, 61, size=(n, 28, 28)), 0, 255)
        write_idx(d / f"{stem}-images-idx3-ubyte.gz", images, compress=True)
        write_idx(d / f"{stem}-labels-idx1-ubyte.gz", labels, compress=True)
    return d


def start(language: str, args: list[str], log: Path) -> subprocess.Popen:
    """The CLI in its own process group (so that ^C and the clean-up reach its helper processes too)."""
    with log.open("w") as err:
        return subprocess.Popen([*COMMANDS[language], *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)


def finish(proc: subprocess.Popen) -> int:
    """Wait for the CLI, then kill whatever of its group is left (helpers of a killed run)."""
    code = proc.wait(timeout=120)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return code


def run_flags(flags: dict) -> dict:
    """The flags that define the run: not where it is written, nor whether it was forced there."""
    return {k: v for k, v in flags.items() if k not in ("out", "force")}


def comparable(path: Path) -> dict:
    """summary.json without what may differ between a run and its resumed (or forced) twin."""
    summary = json.loads(path.read_text())
    summary["flags"] = run_flags(summary["flags"])
    summary.pop("timing", None)
    summary.pop("resumed_from", None)
    return summary


class Reference:
    """The uninterrupted run's files, and the prefixes an interrupted run may hold."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.bytes = {name: (out / name).read_bytes()
                      for name in ("metrics.csv", "epochs.csv", "checkpoint.bin")}
        self.state = decode_state(decode_checkpoint(self.bytes["checkpoint.bin"]), "reference")
        self.metrics = self.bytes["metrics.csv"].decode().splitlines(keepends=True)
        self.epochs = self.bytes["epochs.csv"].decode().splitlines(keepends=True)

    @staticmethod
    def after(n: int) -> int:
        """The checkpoint written after the one at n."""
        return min(ITERS, (n // EVERY + 1) * EVERY)

    def problems(self, out: Path) -> list[str]:
        """What is wrong with the run files in out (an empty list if each is complete and valid)."""
        found, bad = set(os.listdir(out)), []
        n = None
        if "checkpoint.bin" in found:
            try:
                blob = (out / "checkpoint.bin").read_bytes()
                state = decode_state(decode_checkpoint(blob, "checkpoint.bin"), "checkpoint.bin")
                n = state.iterations_done
                k = len(range(0, n, EVERY))
                if not (n % EVERY == 0 or n == ITERS) or state.losses != self.state.losses[:n] \
                        or state.evals != self.state.evals[:k]:
                    bad.append(f"checkpoint.bin at {n} is not the reference's state")
            except ValueError as err:
                bad.append(f"checkpoint.bin: {err}")
        # metrics.csv and epochs.csv are written just before the checkpoint: its version or the next.
        allowed = {0} if n is None else {n, self.after(n)}
        if "metrics.csv" in found:
            text = (out / "metrics.csv").read_text()
            rows = text.count("\n") - 1
            if rows not in allowed or text != "".join(self.metrics[:rows + 1]):
                bad.append(f"metrics.csv ({rows} rows) is not the reference's prefix at {sorted(allowed)}")
        if "epochs.csv" in found:
            text = (out / "epochs.csv").read_text()
            rows = text.count("\n") - 1
            counts = {len(range(0, m, EVERY)) for m in allowed}
            if rows not in counts or text != "".join(self.epochs[:rows + 1]):
                bad.append(f"epochs.csv ({rows} rows) is not the reference's prefix")
        if "run.json" in found:
            try:
                body = json.loads((out / "run.json").read_text())
                ref = json.loads((self.out / "run.json").read_text())
                same = run_flags(body["flags"]) == run_flags(ref["flags"])
                if not same or body["data_files"] != ref["data_files"]:
                    bad.append("run.json differs from the reference's")
            except (ValueError, KeyError) as err:
                bad.append(f"run.json: {err}")
        if "summary.json" in found:
            try:
                if json.loads((out / "summary.json").read_text())["status"] != "complete" or n != ITERS:
                    bad.append("summary.json present before the final checkpoint")
            except (ValueError, KeyError) as err:
                bad.append(f"summary.json: {err}")
        if "curves.png" in found:
            png = (out / "curves.png").read_bytes()
            if not (png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(PNG_END)):
                bad.append("curves.png is not a complete PNG")
        return bad


LANGUAGES = [pytest.param("python"),
             pytest.param("r", marks=pytest.mark.skipif(RSCRIPT is None, reason="R is not installed"))]


@pytest.mark.parametrize("language", LANGUAGES)
def test_killed_runs_leave_valid_files_and_resume_to_the_same_bytes(language, tmp_path):
    data = write_data(tmp_path / "data")
    common = ["--data-dir", str(data), *FLAGS]
    t0 = time.monotonic()
    ref_out = tmp_path / "reference"
    assert finish(start(language, [*common, "--out", str(ref_out)], tmp_path / "ref.log")) == 0, \
        (tmp_path / "ref.log").read_text()
    span = time.monotonic() - t0
    ref = Reference(ref_out)
    counts = {"language": language, "kills": 0, "sigint": 0, "sigkill": 0, "finished_before_kill": 0,
              "restarted_fresh": 0, "resumed_identical": 0, "files_lost": 0, "stale_tmp_removed": 0,
              "runs": len(SEEDS), "reference_seconds": round(span, 2)}
    failures = []
    for seed in SEEDS:
        draw, out = random.Random(seed), tmp_path / f"run{seed}"
        sig = signal.SIGINT if seed in SIGINT_SEEDS else signal.SIGKILL
        args = [*common, "--out", str(out)]
        seen: set[str] = set()
        for attempt in range(3):
            killing = attempt == 0 or (attempt == 1 and draw.random() < 0.5)
            log = tmp_path / f"run{seed}.{attempt}.log"
            proc = start(language, args, log)
            if killing:
                time.sleep(draw.uniform(0.1, 1.0) * span)
                if proc.poll() is None:
                    (os.killpg if sig == signal.SIGINT else os.kill)(proc.pid, sig)
                    counts["kills"] += 1
                    counts["sigint" if sig == signal.SIGINT else "sigkill"] += 1
                else:
                    counts["finished_before_kill"] += 1
            code = finish(proc)
            message = log.read_text()
            if killing and sig == signal.SIGINT and code != 0:
                if code != 130 or message.count("\n") != 1 or not message.startswith("train: interrupted"):
                    failures.append(f"seed {seed}: ^C gave exit {code} and {message!r}")
            elif not killing and code != 0:
                failures.append(f"seed {seed}: {' '.join(args)} exit {code}: {message}")
                break
            present = set(os.listdir(out)) if out.exists() else set()
            lost = seen - present  # a file once complete never goes away (a resume only replaces)
            bad = ref.problems(out) if out.exists() else []
            counts["files_lost"] += len(lost) + len(bad)
            failures += [f"seed {seed} attempt {attempt}: {p}" for p in [*bad, *(f"{f} lost" for f in lost)]]
            tmp_left = {f for f in present if f.startswith(".") and f.endswith(".tmp")}
            seen = present & set(RUN_FILES)
            if code == 0:  # finished (not killed, or killed too late)
                break
            counts["stale_tmp_removed"] += len(tmp_left)  # the next run must remove them
            if "run.json" in present and "checkpoint.bin" in present:
                args = ["--resume", str(out), "--quiet"]
            else:  # killed before its first checkpoint: nothing to resume, start again
                args = [*common, "--out", str(out), *(["--force"] if present & set(RUN_FILES) else [])]
                counts["restarted_fresh"] += 1
                seen = set()
        leftovers = [f for f in os.listdir(out) if f.endswith(".tmp")]
        try:
            same = all((out / name).read_bytes() == blob for name, blob in ref.bytes.items())
            same = same and comparable(out / "summary.json") == comparable(ref_out / "summary.json")
        except (OSError, ValueError, KeyError):
            same = False
        counts["resumed_identical"] += same
        if not same or leftovers:
            failures.append(f"seed {seed}: resumed run differs from the reference or left {leftovers}")
    record = ROOT / "build" / "robustness" / f"kill_{language}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({**counts, "failures": failures}, indent=2) + "\n")
    assert not failures, "\n".join(failures)
    assert counts["resumed_identical"] == len(SEEDS) and counts["files_lost"] == 0
    assert counts["sigint"] >= 1 and counts["sigkill"] >= 1, counts  # both kinds really happened
