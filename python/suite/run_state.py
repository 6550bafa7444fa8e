"""A training run on disk (docs/robust_training.md): the --out guard, run.json, the checkpoint state.

r/suite/run_state.R mirrors these functions under the same names. Every file goes through a temporary
file and a rename (checkpoint.write_atomic), so a kill leaves each one absent, old or new, never
partial; checkpoint.bin is the truth, metrics.csv and epochs.csv are rebuilt from it.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from python.rng import M1, M2, Rng
from python.suite.checkpoint import decode_checkpoint, encode_checkpoint, write_atomic
from python.suite.errors import CheckpointError, DataFileError, OutputExistsError

RUN_FILES = ("run.json", "metrics.csv", "epochs.csv", "summary.json", "checkpoint.bin", "curves.png")
PARAM_KEYS = ("W1", "b1", "W2", "b2")
STATE_KEYS = ("iterations_done", "batch_rng", "losses", "evals")
Array = NDArray[np.float64]
Eval = tuple[int, int, float, float]  # epoch, iteration, train accuracy, test accuracy


@dataclass
class TrainState:
    """Where a run stands after iterations 0..iterations_done-1 (see the module docstring)."""

    params: dict[str, Array]
    iterations_done: int
    batch_rng: list[int]  # s1[0..2], s2[0..2] of the minibatch generator
    losses: list[float]
    evals: list[Eval]


def earlier_run_files(out: Path) -> list[str]:
    """The files of RUN_FILES that out holds."""
    return [name for name in RUN_FILES if (Path(out) / name).exists()]


def guard_out_dir(out: Path, force: bool) -> list[str]:
    """The earlier run's files in out (to delete, with force); without force, refuse if there are any."""
    found = earlier_run_files(out)
    if found and not force:
        raise OutputExistsError(f"{out} holds an earlier run ({' '.join(found)}); pass --force to "
                                f"overwrite it or --resume {out} to continue it")
    return found


def clear_run_files(out: Path) -> None:
    """Delete the run files in out (for --force); summary.json first, run.json last."""
    for name in ("summary.json", "curves.png", "checkpoint.bin", "epochs.csv", "metrics.csv", "run.json"):
        (Path(out) / name).unlink(missing_ok=True)


def remove_stale_tmp(out: Path) -> list[str]:
    """Delete the .NAME.XXXX.tmp files (NAME a run file) a killed write left in out; their names."""
    stale = sorted(p.name for p in Path(out).glob(".*.tmp")
                   if p.is_file() and any(p.name.startswith(f".{name}.") for name in RUN_FILES))
    for name in stale:
        (Path(out) / name).unlink(missing_ok=True)
    return stale


def write_run_json(out: Path, language: str, flags: dict, data_files: dict[str, str]) -> None:
    """run.json: the language, every flag (resolved), and the four data files' SHA-256."""
    body = {"language": language, "flags": flags, "data_files": data_files}
    write_atomic(Path(out) / "run.json", json.dumps(body, indent=2) + "\n")


def read_run_json(out: Path) -> dict:
    """run.json of a run directory, checked for its three parts."""
    path = Path(out) / "run.json"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: not found; {out} is not a training run directory") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path}: unreadable or not JSON ({err})") from err
    if not isinstance(body, dict) or not all(isinstance(body.get(k), dict) for k in ("flags", "data_files")):
        raise CheckpointError(f"{path}: expected an object with 'language', 'flags' and 'data_files'")
    return body


def check_data_files(recorded: dict[str, str], files: dict[str, dict[str, str]], run_json: Path) -> None:
    """Refuse data files whose SHA-256 differs from the one run.json recorded (files: MnistData.files)."""
    for key, entry in files.items():
        if recorded.get(key) != entry["sha256"]:
            raise DataFileError(f"{entry['path']}: SHA-256 {entry['sha256']} differs from the "
                                f"{recorded.get(key)} recorded in {run_json}; the data changed since the run")


def encode_state(state: TrainState) -> dict[str, Array]:
    """The checkpoint arrays: W1 b1 W2 b2 iterations_done [1] batch_rng [6] losses [n] evals [k, 4]."""
    arrays = {key: np.asarray(state.params[key], dtype=np.float64) for key in PARAM_KEYS}
    arrays["iterations_done"] = np.array([state.iterations_done], dtype=np.float64)
    arrays["batch_rng"] = np.array(state.batch_rng, dtype=np.float64)
    arrays["losses"] = np.array(state.losses, dtype=np.float64).reshape(-1)
    arrays["evals"] = np.array(state.evals, dtype=np.float64).reshape(-1, 4)
    return arrays


def whole(values: Array, lo: float, hi: float) -> bool:
    """Every value an integer in lo..hi."""
    return bool(np.all((values == np.floor(values)) & (values >= lo) & (values <= hi)))


def decode_state(arrays: dict[str, Array], source: str) -> TrainState:
    """A TrainState from checkpoint arrays, each state array checked (CheckpointError naming source)."""
    missing = [k for k in (*PARAM_KEYS, *STATE_KEYS) if k not in arrays]
    if missing:
        raise CheckpointError(f"{source}: holds no training state (missing {' '.join(missing)}); "
                              "only a checkpoint written by a training run can be resumed")
    done, rng, losses, evals = (arrays[k] for k in STATE_KEYS)
    if done.shape != (1,) or not whole(done, 0, 2**53):
        raise CheckpointError(f"{source}: iterations_done must be one integer >= 0, got {done.tolist()}")
    n = int(done[0])
    if (rng.shape != (6,) or not whole(rng[:3], 0, M1 - 1) or not whole(rng[3:], 0, M2 - 1)
            or not (rng[:3].any() and rng[3:].any())):
        raise CheckpointError(f"{source}: batch_rng must be 6 generator words, got {rng.tolist()}")
    if losses.shape != (n,):
        raise CheckpointError(f"{source}: losses must have iterations_done = {n} values, got shape "
                              f"{losses.shape}")
    if evals.ndim != 2 or evals.shape[1] != 4 or not whole(evals[:, :2], 0, 2**53):
        raise CheckpointError(f"{source}: evals must be rows (epoch, iter, train_acc, test_acc), got "
                              f"shape {evals.shape}")
    return TrainState({k: arrays[k] for k in PARAM_KEYS}, n, [int(v) for v in rng],
                      [float(v) for v in losses],
                      [(int(e), int(i), float(tr), float(te)) for e, i, tr, te in evals.tolist()])


def metrics_csv(losses: list[float]) -> str:
    """metrics.csv: the loss of each iteration, 17 significant digits."""
    return "iter,loss\n" + "".join(f"{i},{loss:.17g}\n" for i, loss in enumerate(losses))


def epochs_csv(evals: list[Eval]) -> str:
    """epochs.csv: one row per evaluation."""
    return "epoch,iter,train_acc,test_acc\n" + "".join(
        f"{e},{i},{tr:.17g},{te:.17g}\n" for e, i, tr, te in evals)


def write_progress(out: Path, state: TrainState) -> None:
    """metrics.csv, epochs.csv, then checkpoint.bin, each atomically: the checkpoint lands last."""
    out = Path(out)
    write_atomic(out / "metrics.csv", metrics_csv(state.losses))
    write_atomic(out / "epochs.csv", epochs_csv(state.evals))
    write_atomic(out / "checkpoint.bin", encode_checkpoint(encode_state(state)))


def load_state(out: Path) -> TrainState:
    """The training state in out/checkpoint.bin."""
    path = Path(out) / "checkpoint.bin"
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read ({err.strerror or err}); nothing to resume, "
                              "start again with --force") from err
    return decode_state(decode_checkpoint(data, str(path)), str(path))


def check_state_fits(state: TrainState, flags: dict, shapes: dict[str, tuple[int, ...]], source: str) -> None:
    """Refuse a state that does not belong to a run with these flags and weight shapes."""
    for key in PARAM_KEYS:
        if state.params[key].shape != shapes[key]:
            raise CheckpointError(f"{source}: {key} has shape {state.params[key].shape}, the run's net "
                                  f"needs {shapes[key]}")
    n, every = state.iterations_done, flags["eval_every"]
    if n > flags["iters"]:
        raise CheckpointError(f"{source}: iterations_done {n} exceeds the run's --iters {flags['iters']}")
    expected = [(i // every, i) for i in range(0, n, every)]
    if [(e, i) for e, i, _, _ in state.evals] != expected:
        raise CheckpointError(f"{source}: evals do not list the evaluations before iteration {n} "
                              f"(every {every})")
    if not all(math.isfinite(v) for v in state.losses):
        raise CheckpointError(f"{source}: losses hold a non-finite value")


class BatchStream:
    """Minibatch indices drawn `block` iterations at a time, and the generator state after any iteration.

    integers(n, k * b) is integers(n, b) k times over, concatenated, so the state after the draws of
    iterations 0..n-1 is the state at the start of n's block advanced by the rows drawn since.
    """

    def __init__(self, state: list[int], high: int, batch_size: int, iters: int, block: int) -> None:
        """Draw from the generator state `state` (s1 then s2) for iterations up to iters - 1."""
        self.rng = Rng.from_state(state[:3], state[3:])
        self.high, self.batch_size, self.iters, self.block = high, batch_size, iters, block
        self.drawn: list[tuple[int, int, list[int]]] = []  # (first iteration, count, state before)
        self.rows = np.empty((0, batch_size), dtype=np.int64)

    def batch(self, i: int) -> NDArray[np.int64]:
        """The minibatch indices of iteration i (called for i in increasing order)."""
        first, count, _ = self.drawn[-1] if self.drawn else (i, 0, [])
        if i >= first + count:  # blocks end at multiples of `block` whatever the first iteration
            count = min(self.block - i % self.block, self.iters - i)
            self.drawn.append((i, count, self.state()))
            self.rows = self.rng.integers(self.high, count * self.batch_size).reshape(count, -1)
            first = i
        return self.rows[i - first]

    def state(self) -> list[int]:
        """The generator's current state, s1 then s2."""
        return [*self.rng.s1, *self.rng.s2]

    def state_after(self, n: int) -> list[int]:
        """The generator state after the draws of iterations 0..n-1 (n at most the last drawn + 1)."""
        for first, count, before in reversed(self.drawn):
            if first <= n < first + count:
                rng = Rng.from_state(before[:3], before[3:])
                rng.next_counts((n - first) * self.batch_size)
                return [*rng.s1, *rng.s2]
        return self.state()  # n is where the next block starts: nothing of it drawn yet


class RunTracker:
    """The run directory and its last checkpoint, for the ^C message; holds ^C while progress is written.

    Installed as the SIGINT handler by the CLI: outside a write it raises KeyboardInterrupt at once,
    during one it waits until metrics.csv, epochs.csv and checkpoint.bin are all written.
    """

    def __init__(self) -> None:
        """No run directory yet."""
        self.out: Path | None = None
        self.checkpoint: int | None = None
        self.writing = self.pending = self.stopping = False

    def on_sigint(self, signum: int, frame: object) -> None:
        """Interrupt now, or after the write in progress; once only (a second ^C would cut the clean-up)."""
        if self.stopping:
            return
        if self.writing:
            self.pending = True
        else:
            self.stopping = True
            raise KeyboardInterrupt

    def save(self, out: Path, state: TrainState) -> None:
        """write_progress, with ^C held until it is done; remember the checkpoint."""
        self.writing = True
        try:
            write_progress(out, state)
            self.out, self.checkpoint = Path(out), state.iterations_done
        finally:
            self.writing = False
        if self.pending:
            self.pending, self.stopping = False, True
            raise KeyboardInterrupt

    def interrupted(self, command: str) -> str:
        """The one line printed on ^C: the last checkpoint and how to resume."""
        if self.checkpoint is None or self.out is None:
            return "train: interrupted before the first checkpoint; nothing to resume"
        return (f"train: interrupted; last checkpoint at iteration {self.checkpoint} in {self.out}; "
                f"continue with: {command} --resume {self.out}")
