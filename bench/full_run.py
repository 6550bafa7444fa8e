"""Full default training runs for `make bench`: both CLIs and the plain numpy loop, each in a new process."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

# Linux folds the memory high-water mark of a process's image before exec into its ru_maxrss, so a
# command spawned straight from the bench (hundreds of MB with torch loaded) would report at least
# the bench's size. A small launcher spawns it instead and reports its wall time and ru_maxrss
# (which covers its waited-for children, e.g. a worker process: the largest of them).
LAUNCHER = """import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
out = proc.stdout.read().decode()
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"wall_s": time.perf_counter() - start, "status": status, "maxrss_kb": usage.ru_maxrss,
                  "stdout": out}))
"""

ROUNDS = 3
COMMANDS = {
    "plain loop": [sys.executable, "-m", "bench.plain_loop"],
    "Python": [sys.executable, "-m", "python.train", "--quiet"],
    "R": ["Rscript", "r/train.R", "--quiet"],
}


def launch(command: list[str]) -> dict:
    """Wall time, exit status, peak RSS and standard output of one command."""
    launched = subprocess.run([sys.executable, "-c", LAUNCHER, *command],
                              capture_output=True, text=True, check=True)
    return json.loads(launched.stdout)


def full_run(who: str) -> dict:
    """One full default run (10,000 iterations, Fashion-MNIST): seconds, MB, and its final accuracies."""
    with tempfile.TemporaryDirectory() as out:
        command = COMMANDS[who] if who == "plain loop" else [*COMMANDS[who], "--out", out]
        run = launch(command)
        ok = run["status"] == 0
        if not ok:
            result = {}
        elif who == "plain loop":
            result = json.loads(run["stdout"].strip().splitlines()[-1])
        else:
            result = json.loads((Path(out) / "summary.json").read_text())
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["maxrss_kb"] / 1024, "ok": ok,
            "train_acc": result.get("final_train_acc"), "test_acc": result.get("final_test_acc")}


def full_runs(rounds: int = ROUNDS) -> dict[str, list[dict]]:
    """Rounds of the plain loop, then each CLI, one after the other (so that they do not share the cores).

    Interleaved rounds, because the load of a shared machine moves one run's time by half or more
    (measured: the same Python run took 25 s and 37 s in two rounds, a few minutes apart).
    """
    runs: dict[str, list[dict]] = {who: [] for who in COMMANDS}
    for _ in range(rounds):
        for who in COMMANDS:
            runs[who].append(full_run(who))
    return runs
