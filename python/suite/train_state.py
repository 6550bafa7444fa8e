"""The training state in a checkpoint (docs/robust_training.md): where a run stands after n iterations.

Arrays, after W1 b1 W2 b2: iterations_done [1], batch_rng [6], losses [n], evals [k, 4].
r/suite/train_state.R mirrors these functions under the same names.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from python.rng import M1, M2
from python.suite.checkpoint import PARAM_KEYS, Array, decode_checkpoint
from python.suite.errors import CheckpointError

STATE_KEYS = ("iterations_done", "batch_rng", "losses", "evals")
Eval = tuple[int, int, float, float]  # epoch, iteration, train accuracy, test accuracy


@dataclass
class TrainState:
    """Where a run stands after iterations 0..iterations_done-1."""

    params: dict[str, Array]  # the weights after update iterations_done - 1
    iterations_done: int
    batch_rng: list[int]  # s1[0..2], s2[0..2] of the minibatch generator after the draws of those iterations
    losses: list[float]
    evals: list[Eval]


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
