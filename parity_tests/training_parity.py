"""The training section of `make parity`: python -m python.train and Rscript r/train.R, same flags.

What must agree, and how closely:
- accuracies (epochs.csv and summary.json's final ones): identical. They are counts of argmax hits over
  thousands of images; last-bit differences in the weights change one only if some image's two most
  probable classes agree to ~1e-15, which none did in any run measured;
- the minibatch loss of every iteration (metrics.csv): relative difference <= LOSS_REL_BOUND. The two
  runs draw the same minibatches and start from the same bits, but numpy and R call different OpenBLAS
  builds (summation order in the matrix products) and R's sum()/colSums() accumulate in long double, so
  the weights differ in their last bits from the first update on. Measured on Fashion-MNIST (batch 100,
  lr 0.1): max relative loss difference 4.5e-16 over 300 iterations (--train-limit 2000 --seed 7),
  1.1e-15 over the book's 10,000 (--seed 0) and 1.0e-15 (--seed 7); final weights within 5e-15.
  The differences do not grow: SGD on this loss does not amplify last-bit noise over 10,000 steps.
  1e-12 is ~1000x the measured value, yet far below any real discrepancy: a different minibatch,
  learning rate or initial weight changes the loss by far more, and taking it before instead of after
  the update changes it by 1.6e-3 to 1e-2 relative (measured over the same 300 iterations).
- checkpoint.bin (a training checkpoint, docs/robust_training.md): the weights as above (reported);
  iterations_done, batch_rng and evals identical; losses within LOSS_REL_BOUND, like metrics.csv. The
  files' bytes differ between the languages by those last bits, so they are compared array by array.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from python.suite.checkpoint import load_checkpoint
from python.two_layer_net import PARAM_KEYS

ROOT = Path(__file__).resolve().parents[1]
LOSS_REL_BOUND = 1e-12
INFO = "info"  # rows that carry numbers but no verdict; not counted as passed or failed
COMMANDS = {"python": [sys.executable, "-m", "python.train"], "r": ["Rscript", "r/train.R"]}


def read_table(path: Path) -> np.ndarray:
    """A CSV of numbers with a header line, as a float64 array (one row per line)."""
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def state_agrees(py: dict[str, np.ndarray], r: dict[str, np.ndarray]) -> bool:
    """The training state arrays of two checkpoints: identical, the losses within LOSS_REL_BOUND."""
    keys = ("iterations_done", "batch_rng", "evals", "losses")
    if not all(k in py and k in r and py[k].shape == r[k].shape for k in keys):
        return False
    return (all(np.array_equal(py[k], r[k]) for k in keys[:3])
            and bool(np.all(np.abs(py["losses"] - r["losses"]) <= LOSS_REL_BOUND * np.abs(py["losses"]))))


def row(check: str, value: Any, bound: Any, verdict: str, detail: str = "") -> dict:
    """One row of the training section."""
    return {"check": check, "value": value, "bound": bound, "detail": detail, "verdict": verdict}


def check_row(check: str, ok: bool, detail: str = "") -> dict:
    """A row for a check that holds or not."""
    return row(check, ok, True, "pass" if ok else "FAIL", detail)


def compare_training(tmpdir: Path, iters: int = 300, train_limit: int = 2000, seed: int = 7) -> list[dict]:
    """Train in both languages with the same flags; compare losses, accuracies and weights, as rows."""
    flags = ["--iters", str(iters), "--train-limit", str(train_limit), "--seed", str(seed), "--quiet"]
    for lang, command in COMMANDS.items():
        subprocess.run([*command, *flags, "--out", str(tmpdir / lang)], cwd=ROOT, check=True,
                       capture_output=True, text=True)
    outs = {lang: tmpdir / lang for lang in COMMANDS}
    loss = {lang: read_table(d / "metrics.csv")[:, 1] for lang, d in outs.items()}
    rel = np.abs(loss["python"] - loss["r"]) / np.abs(loss["python"])
    epochs = {lang: read_table(d / "epochs.csv") for lang, d in outs.items()}
    summary = {lang: json.loads((d / "summary.json").read_text()) for lang, d in outs.items()}
    ckpt = {lang: load_checkpoint(d / "checkpoint.bin") for lang, d in outs.items()}
    flags_of = {lang: {k: v for k, v in s["flags"].items() if k != "out"} for lang, s in summary.items()}
    finals = {lang: (s["final_train_acc"], s["final_test_acc"]) for lang, s in summary.items()}
    weight_diff = max(np.max(np.abs(ckpt["python"][k] - ckpt["r"][k]), initial=0.0) for k in PARAM_KEYS)
    seconds = {lang: s["timing"]["wall_seconds"] for lang, s in summary.items()}
    accuracies = "; ".join(f"{lang} train {f[0]} test {f[1]} ({seconds[lang]:.1f} s)"
                           for lang, f in finals.items())
    rows = [row("minibatch loss: max relative |Python - R|", f"{rel.max():.3g}", f"{LOSS_REL_BOUND:.3g}",
                "pass" if rel.max() <= LOSS_REL_BOUND else "FAIL",
                f"{rel.size} iterations, {np.sum(rel == 0)} identical, worst at {rel.argmax()}"),
            check_row("checkpoint state identical", state_agrees(ckpt["python"], ckpt["r"])),
            check_row("epochs identical", bool(np.array_equal(epochs["python"], epochs["r"]))),
            check_row("final identical", finals["python"] == finals["r"]),
            check_row("flags identical", flags_of["python"] == flags_of["r"]),
            row("final weights: max |Python - R|", f"{weight_diff:.3g}", "-", INFO),
            row("final accuracies", "-", "-", INFO, accuracies)]
    ok = rel.size == iters and all(r["verdict"] != "FAIL" for r in rows)
    return [*rows, check_row("training_parity ok", ok, " ".join(flags))]


def training_rows() -> list[dict]:
    """The training section; a run that fails is a failed row, not a crash of the whole table."""
    with tempfile.TemporaryDirectory(prefix="parity-training-") as tmp:
        try:
            return compare_training(Path(tmp))
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
            return [row("training run", f"exit {exc.returncode}", "exit 0", "FAIL",
                        f"{' '.join(map(str, exc.cmd))}: {' | '.join(tail)}")]
        except Exception as exc:  # reported as a failed row, not a crash of the whole table
            return [row("training run", type(exc).__name__, "-", "FAIL", str(exc)[:200])]
