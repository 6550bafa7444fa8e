"""Train the book's TwoLayerNet on (Fashion-)MNIST, as ch04/train_neuralnet.py: ``python -m python.train``.

Same flags, same numbers as ``Rscript r/train.R``. The weights come from Rng(seed), the minibatches
from Rng(seed + 1) (integers(train_size, batch_size), with replacement). Iteration i: the gradient on
the minibatch, sgd_update, then the minibatch loss after the update (row i of metrics.csv); when
i % eval_every == 0, the accuracy on the whole (limited) training set and on the test set
(epochs.csv). The run's files follow docs/robust_training.md (python/suite/run_files.py): run.json
first, a checkpoint every eval_every iterations, --resume DIR continues bit for bit, the first
non-finite loss stops the run (exit 3) with the last good state on disk, ^C exits 130 after the last
checkpoint, bad flags and files exit 2 with one line.
"""
# ruff: noqa: E402
# (the BLAS setting below must come before numpy's import)

import os
import signal
import sys

# One BLAS thread, as r/train.R has: both languages do the same work on the same setting. At these
# sizes more threads gain little, and lose much when another process holds a core. A user's own
# setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _early_sigint(signum: int, frame: object) -> None:
    """^C while the modules load (nothing written yet): the one-line message, no traceback."""
    os.write(2, b"train: interrupted before the first checkpoint; nothing to resume\n")
    os._exit(130)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _early_sigint)

import argparse
import json
import math
import platform
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from python.mnist import MnistData, default_data_dir, download_mnist, load_dataset, normalize
from python.optimizer import sgd_update
from python.plots import Progress, plot_curves
from python.rng import MAX_SEED, Rng
from python.suite.checkpoint import TrainState, atomic_path, load_weights, write_atomic
from python.suite.errors import CheckpointError, DivergedError, DlfsError, InputError, NumericalError
from python.suite.run_files import (
    RUN_FILES,
    Run,
    guard_out_dir,
    read_run_json,
    resume_state,
    run_status,
    start_out_dir,
)
from python.two_layer_net import TwoLayerNet

EVAL_CHUNK = 500  # images scaled and predicted at a time: a float64 copy of the whole set would be 440 MB
COMMAND = "python -m python.train"


class Parser(argparse.ArgumentParser):
    """argparse whose error (p.error) is an InputError: main prints it as one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise instead of printing the usage and exiting."""
        raise InputError(message)


def build_parser() -> Parser:
    """The command line, identical to r/train.R's."""
    p = Parser(prog=COMMAND, description="Train the book's TwoLayerNet on (Fashion-)MNIST.")
    p.add_argument("--iters", type=int, default=10000, help="SGD iterations [10000]")
    p.add_argument("--batch-size", type=int, default=100, help="minibatch size [100]")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate [0.1]")
    p.add_argument("--hidden", type=int, default=50, help="hidden units [50]")
    p.add_argument("--weight-init-std", type=float, default=0.01, help="initial weight scale [0.01]")
    p.add_argument("--seed", type=int, default=0, help="weights from Rng(seed), batches from Rng(seed+1) [0]")
    p.add_argument("--grad", choices=("backprop", "numerical"), default="backprop", help="[backprop]")
    p.add_argument("--eval-every", type=int, default=None,
                   help="evaluate when iteration %% N == 0 [one epoch: max(1, train_size // batch_size)]")
    p.add_argument("--dataset", choices=("fashion-mnist", "mnist"), default="fashion-mnist")
    p.add_argument("--data-dir", default=None, help="directory of the four IDX files (.gz or not)")
    p.add_argument("--download", action="store_true", help="fetch missing MNIST files (checksummed)")
    p.add_argument("--out", default=None, help="output directory [runs/<timestamp>-python-seed<N>]")
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--checkpoint-in", default=None, help="start from these weights instead of random ones")
    p.add_argument("--quiet", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--force", action="store_true", help="overwrite the earlier run in --out")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run in DIR from its last checkpoint (flags from DIR/run.json)")
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked: p.error names the first bad flag."""
    p = build_parser()
    args = p.parse_args(argv)
    if args.resume is not None:
        given = build_parser()
        for action in given._actions:  # no defaults: only the flags on the command line
            action.default = argparse.SUPPRESS
        others = sorted(set(vars(given.parse_args(argv))) - {"resume", "quiet"})
        if others:
            p.error("--resume takes every flag from DIR/run.json; only --quiet may be given with it, "
                    f"got {' '.join('--' + k.replace('_', '-') for k in others)}")
        return args
    for name in ("iters", "batch_size", "hidden", "eval_every", "train_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        p.error(f"--lr must be a finite number > 0, got {args.lr}")
    if not (math.isfinite(args.weight_init_std) and args.weight_init_std >= 0):
        p.error(f"--weight-init-std must be a finite number >= 0, got {args.weight_init_std}")
    if not 0 <= args.seed < MAX_SEED:
        p.error(f"--seed must be in 0..{MAX_SEED - 1}, got {args.seed}")
    if args.download and args.dataset != "mnist":
        p.error("--download is only available with --dataset mnist")
    return args


def evaluate(net: TwoLayerNet, x: np.ndarray, t: np.ndarray) -> float:
    """The accuracy over all rows (first class on ties), scaling EVAL_CHUNK images at a time."""
    correct = 0
    for start in range(0, x.shape[0], EVAL_CHUNK):
        try:
            y = net.predict(normalize(x[start:start + EVAL_CHUNK]))
        except NumericalError:  # weights beyond float64 on these rows: none of them counts
            continue
        correct += int(np.count_nonzero(np.argmax(y, axis=1) == t[start:start + EVAL_CHUNK]))
    return correct / x.shape[0]


def train(net: TwoLayerNet, data: MnistData, batch_rng: Rng, args: argparse.Namespace, run: Run) -> Run:
    """The book's loop, from run.iterations_done to args.iters, with a checkpoint every eval_every."""
    train_size = data.x_train.shape[0]
    grad_fn = net.gradient if args.grad == "backprop" else net.numerical_gradient
    for i in range(run.iterations_done, args.iters):
        params_before, rng_before = net.params, [*batch_rng.s1, *batch_rng.s2]  # written if loss i is bad
        batch_mask = batch_rng.integers(train_size, args.batch_size)
        x_batch = normalize(data.x_train[batch_mask])
        t_batch = data.t_train[batch_mask]
        try:
            grads = grad_fn(x_batch, t_batch)
            net.params = sgd_update(net.params, grads, args.lr)
            loss = net.loss(x_batch, t_batch)
        except NumericalError:  # weights beyond float64 on this batch: a non-finite loss at i
            loss = math.nan
        run.record_loss(i, loss, params_before, rng_before)
        if i % args.eval_every == 0:
            train_acc = evaluate(net, data.x_train, data.t_train)
            test_acc = evaluate(net, data.x_test, data.t_test)
            run.record_eval(i // args.eval_every, i, train_acc, test_acc)
            run.progress.write(f"train acc, test acc | {train_acc:.4f}, {test_acc:.4f}")
        if (i + 1) % args.eval_every == 0 or i + 1 == args.iters:
            run.save_checkpoint(net.params, [*batch_rng.s1, *batch_rng.s2])
    return run


def load_data(args: argparse.Namespace) -> MnistData:
    """The four files of data_dir, the training set cut to --train-limit, checked against --batch-size."""
    data = load_dataset(args.data_dir)
    n = data.x_train.shape[0]
    if args.train_limit is not None:
        if args.train_limit > n:
            raise InputError(f"--train-limit {args.train_limit} exceeds the {n} training images in "
                             f"{args.data_dir}")
        data.x_train, data.t_train = data.x_train[:args.train_limit], data.t_train[:args.train_limit]
        n = args.train_limit
    if args.batch_size > n:
        raise InputError(f"--batch-size {args.batch_size} exceeds the {n} training images"
                         f"{' (after --train-limit)' if args.train_limit is not None else ''}")
    return data


def start_fresh(args: argparse.Namespace) -> tuple[Path, dict, MnistData, TwoLayerNet, TrainState]:
    """Check --out, load the data and the net, write run.json; args' flags are resolved in place."""
    out = Path(os.path.abspath(args.out or f"runs/{datetime.now():%Y%m%d-%H%M%S}-python-seed{args.seed}"))
    earlier = guard_out_dir(out, args.force)
    args.data_dir = os.path.abspath(args.data_dir or default_data_dir(args.dataset))
    if args.download:
        download_mnist(args.data_dir, log=not args.quiet)
    data = load_data(args)
    args.eval_every = args.eval_every or max(1, data.x_train.shape[0] // args.batch_size)
    net = TwoLayerNet(data.x_train.shape[1], args.hidden, 10, args.weight_init_std, seed=args.seed)
    if args.checkpoint_in:
        weights = load_weights(args.checkpoint_in)
        try:
            net.params = weights
        except InputError as err:
            raise CheckpointError(f"{args.checkpoint_in}: does not fit the net: {err}") from err
    args.out = str(out)
    flags = dict(vars(args))
    start_out_dir(out, earlier, flags, {key: f["sha256"] for key, f in data.files.items()})
    batch_rng = Rng(args.seed + 1)
    return out, flags, data, net, TrainState(net.params, 0, [*batch_rng.s1, *batch_rng.s2], [], [])


def start_resume(args: argparse.Namespace) -> tuple[Path, dict, MnistData, TwoLayerNet, TrainState] | None:
    """Take the flags from DIR/run.json, check the data and the checkpoint; None if the run is complete."""
    out = Path(os.path.abspath(args.resume))
    body = read_run_json(out)
    try:
        resumed = parse_args(flags_argv(body["flags"]))  # checked as a fresh run's flags would be
    except InputError as err:
        raise CheckpointError(f"{out / 'run.json'}: bad flags ({err})") from err
    if resumed.eval_every is None or resumed.data_dir is None:
        raise CheckpointError(f"{out / 'run.json'}: flags eval_every and data_dir must be resolved")
    vars(args).update({**vars(resumed), "out": str(out), "quiet": args.quiet, "resume": str(out)})
    data = load_data(args)
    net = TwoLayerNet(data.x_train.shape[1], args.hidden, 10, args.weight_init_std, seed=args.seed)
    state = resume_state(out, body, data.files, vars(args), net.shapes)
    net.params = state.params
    if state.iterations_done == args.iters and run_status(out) == "complete":
        print(f"{out}: the run is already complete ({args.iters} iterations); nothing to do")
        return None
    if not args.quiet:
        print(f"resuming {out} at iteration {state.iterations_done} of {args.iters}", flush=True)
    return out, {**body["flags"], "out": str(out)}, data, net, state


def flags_argv(flags: dict) -> list[str]:
    """A command line giving these flags (run.json's)."""
    argv = []
    for action in build_parser()._actions:
        key = action.dest
        if key in ("help", "resume", "quiet") or flags.get(key) is None or flags.get(key) is False:
            continue
        argv += [action.option_strings[0]] + ([] if flags[key] is True else [str(flags[key])])
    return argv


def versions() -> dict[str, str]:
    """Language, library and BLAS versions."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {"language": "python", "python": platform.python_version(), "numpy": np.__version__,
            "blas": f"{blas.get('name')} {blas.get('version')}", "platform": platform.platform()}


def write_outputs(run: Run, args: argparse.Namespace, flags: dict, data: MnistData,
                  final: tuple[float, float] | None, resumed_from: int | None, timing: dict) -> dict:
    """curves.png (complete runs) and summary.json, each through a temporary file and a rename."""
    if final is not None:
        with atomic_path(run.out / "curves.png") as tmp:
            plot_curves(tmp, range(len(run.losses)), run.losses, [e[0] for e in run.evals],
                        [e[2] for e in run.evals], [e[3] for e in run.evals],
                        f"python | {args.dataset} | seed {args.seed} | {args.iters} iterations | "
                        f"grad {args.grad}")
    status = {"status": "complete"} if run.diverged is None else {
        "status": "diverged", "diverged_at": run.diverged[0], "diverged_loss": str(run.diverged[1])}
    summary = {
        **status, "resumed_from": resumed_from,
        "flags": flags, "versions": versions(), "batch_generator": f"Rng({args.seed + 1})",
        "data": {"dir": str(Path(args.data_dir).resolve()), "train_size": int(data.x_train.shape[0]),
                 "test_size": int(data.x_test.shape[0]), "image_shape": list(data.image_shape),
                 "files": data.files},
        "final_train_acc": final[0] if final else None, "final_test_acc": final[1] if final else None,
        "final_loss": run.losses[-1] if run.losses else None, "evaluations": len(run.evals),
        "timing": timing, "outputs": [name for name in RUN_FILES if name != "curves.png" or final],
    }
    write_atomic(run.out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def run_training(args: argparse.Namespace, run: Run) -> dict | None:
    """Start or resume the run, train, write the outputs; the summary (None: it was complete already)."""
    t_start, started = time.perf_counter(), datetime.now().astimezone()
    setup = start_resume(args) if args.resume is not None else start_fresh(args)
    if setup is None:
        return None
    out, flags, data, net, state = setup
    progress = Progress(args.iters, args.quiet)
    final, diverged = None, None
    try:
        run.start(out, state, progress)  # fresh: the checkpoint at 0; resumed: the CSV files rebuilt
        t_train = time.perf_counter()
        batch_rng = Rng.from_state(state.batch_rng[:3], state.batch_rng[3:])
        with np.errstate(all="ignore"):  # diverging weights overflow: reported as a non-finite loss
            train(net, data, batch_rng, args, run)
            evaluated = (args.iters - 1) % args.eval_every == 0  # the final weights' accuracies are known
            final = run.evals[-1][2:] if evaluated else (evaluate(net, data.x_train, data.t_train),
                                                         evaluate(net, data.x_test, data.t_test))
    except DivergedError as err:  # raised again once summary.json says so
        diverged = err
    finally:
        progress.close()
    now = time.perf_counter()
    timing = {"started": started.isoformat(timespec="seconds"), "load_seconds": t_train - t_start,
              "train_seconds": now - t_train, "wall_seconds": now - t_start,
              "seconds_per_iteration": (now - t_train) / max(1, len(run.losses) - state.iterations_done)}
    resumed_from = state.iterations_done if args.resume is not None else None
    summary = write_outputs(run, args, flags, data, final, resumed_from, timing)
    if diverged is not None:
        raise diverged
    print(f"final train acc, test acc | {final[0]:.4f}, {final[1]:.4f} "
          f"({timing['wall_seconds']:.1f} s) -> {out}")
    return summary


def main(argv: list[str] | None = None) -> int:
    """Entry point; the exit status: 0 done, 2 bad flag/file/checkpoint/--out, 3 diverged, 130 ^C."""
    run = Run()
    previous = signal.signal(signal.SIGINT, run.on_sigint)
    try:
        run_training(parse_args(argv), run)
    except KeyboardInterrupt:
        print(run.interrupted(COMMAND), file=sys.stderr)
        return 130
    except (DlfsError, OSError) as err:
        message = "; ".join(line.strip() for line in str(err).splitlines() if line.strip())
        print(f"train: error: {message}", file=sys.stderr)
        return 3 if isinstance(err, DivergedError) else 2
    finally:  # after the CLI's run, a ^C while Python exits changes nothing
        signal.signal(signal.SIGINT, signal.SIG_IGN if previous is _early_sigint else previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
