"""A training run's directory (docs/robust_training.md): the --out guard, run.json, the progress files, Run.

r/suite/run_files.R mirrors these functions under the same names. Every file goes through a temporary
file and a rename (checkpoint.write_atomic), so a kill leaves each one absent, old or new, never
partial; checkpoint.bin is the truth, metrics.csv and epochs.csv are rebuilt from it.
"""

import json
import math
from pathlib import Path

from python.suite.checkpoint import Array, encode_checkpoint, write_atomic
from python.suite.errors import CheckpointError, DataFileError, DivergedError, OutputExistsError
from python.suite.progress import Progress
from python.suite.train_state import TrainState, encode_state

RUN_FILES = ("run.json", "metrics.csv", "epochs.csv", "summary.json", "checkpoint.bin", "curves.png")


def guard_out_dir(out: Path, force: bool) -> list[str]:
    """The earlier run's files in out (to delete, with force); without force, refuse if there are any."""
    found = [name for name in RUN_FILES if (Path(out) / name).exists()]
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


def start_out_dir(out: Path, flags: dict, data_files: dict[str, str]) -> None:
    """Make out, remove stale temporaries and (--force) the earlier run's files; write run.json."""
    Path(out).mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(out)
    clear_run_files(out)
    body = {"language": "python", "flags": flags, "data_files": data_files}  # flags resolved; SHA-256s
    write_atomic(Path(out) / "run.json", json.dumps(body, indent=2) + "\n")


def check_data_files(recorded: dict[str, str], files: dict[str, dict[str, str]], run_json: Path) -> None:
    """Refuse data files whose SHA-256 differs from the one run.json recorded (files: MnistData.files)."""
    for key, entry in files.items():
        if recorded.get(key) != entry["sha256"]:
            raise DataFileError(f"{entry['path']}: SHA-256 {entry['sha256']} differs from the "
                                f"{recorded.get(key)} recorded in {run_json}; the data changed since the run")


def write_progress(out: Path, state: TrainState) -> None:
    """metrics.csv and epochs.csv (17 significant digits), then checkpoint.bin, each atomically."""
    out = Path(out)
    write_atomic(out / "metrics.csv", "iter,loss\n" + "".join(
        f"{i},{loss:.17g}\n" for i, loss in enumerate(state.losses)))
    write_atomic(out / "epochs.csv", "epoch,iter,train_acc,test_acc\n" + "".join(
        f"{e},{i},{tr:.17g},{te:.17g}\n" for e, i, tr, te in state.evals))
    write_atomic(out / "checkpoint.bin", encode_checkpoint(encode_state(state)))


class Run:
    """A run being written: its directory, the losses and evaluations so far, the last checkpoint.

    The CLI installs on_sigint as the SIGINT handler: outside a checkpoint it raises KeyboardInterrupt
    at once; during one it waits until metrics.csv, epochs.csv and checkpoint.bin are all written.
    """

    def __init__(self) -> None:
        """No directory yet (a ^C now has nothing to resume)."""
        self.out: Path | None = None
        self.checkpoint: int | None = None  # iterations_done of the last checkpoint written
        self.iterations_done, self.losses, self.evals = 0, [], []
        self.diverged: tuple[int, float] | None = None  # iteration and loss
        self.progress: Progress | None = None  # set by start: shows each loss
        self.writing = self.stopping = False  # stopping: a ^C came (held while writing)

    def start(self, out: Path, state: TrainState, progress: Progress) -> None:
        """Go on from state in out: write its checkpoint (resumed: metrics.csv, epochs.csv rebuilt)."""
        self.out, self.progress = Path(out), progress
        self.iterations_done, self.losses, self.evals = state.iterations_done, [*state.losses], [*state.evals]
        self.save_checkpoint(state.params, state.batch_rng)

    def record_loss(self, i: int, loss: float, params_before: dict[str, Array],
                    rng_before: list[int]) -> None:
        """Keep the loss of iteration i; a non-finite one writes the state before i, then DivergedError."""
        if not math.isfinite(loss):
            self.diverged = (i, loss)
            if self.checkpoint != i:  # the state before i (iterations_done is i)
                self.save_checkpoint(params_before, rng_before)
            raise DivergedError(f"training diverged at iteration {i}: minibatch loss {loss}; the last "
                                f"good state (iteration {i}) is in {self.out}", i)
        self.losses.append(loss)
        self.iterations_done = i + 1
        self.progress.update(i + 1, loss)

    def record_eval(self, epoch: int, i: int, train_acc: float, test_acc: float) -> None:
        """Keep the accuracies after update i."""
        self.evals.append((epoch, i, train_acc, test_acc))

    def save_checkpoint(self, params: dict[str, Array], batch_rng: list[int]) -> None:
        """Write the state after the iterations done, with ^C held until its three files are written."""
        self.writing = True
        try:
            write_progress(self.out, TrainState(params, self.iterations_done, batch_rng, self.losses,
                                                self.evals))
            self.checkpoint = self.iterations_done
        finally:
            self.writing = False
        if self.stopping:
            raise KeyboardInterrupt

    def on_sigint(self, signum: int, frame: object) -> None:
        """Interrupt now, or after the write in progress; once only (a second ^C would cut the clean-up)."""
        if not self.stopping:
            self.stopping = True
            if not self.writing:
                raise KeyboardInterrupt

    def interrupted(self, command: str) -> str:
        """The one line printed on ^C: the last checkpoint and how to resume."""
        if self.checkpoint is None:
            return "train: interrupted before the first checkpoint; nothing to resume"
        return (f"train: interrupted; last checkpoint at iteration {self.checkpoint} in {self.out}; "
                f"continue with: {command} --resume {self.out}")
