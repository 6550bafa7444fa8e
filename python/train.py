"""Train the book's TwoLayerNet on (Fashion-)MNIST, as ch04/train_neuralnet.py: ``python -m python.train``.

Same flags, same numbers as ``Rscript r/train.R``. train() is the book's loop; the run's files follow
docs/robust_training.md: run.json first, a checkpoint every eval_every iterations, --resume DIR, the
stop on divergence (exit 3), ^C (exit 130), one-line errors for bad flags and files (exit 2). The
set-up and summary.json: python/suite/train_setup.py.
"""
# ruff: noqa: E402
# (the BLAS setting below must come before numpy's import)

import os
import signal
import sys

# One BLAS thread, as r/train.R sets: the same setting in both languages, and the same bits in every
# run (OpenBLAS picks other kernels for threaded products). A user's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _early_sigint(signum: int, frame: object) -> None:
    """^C while the modules load (nothing written yet): the one-line message, no traceback."""
    os.write(2, b"train: interrupted before the first checkpoint; nothing to resume\n")
    os._exit(130)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _early_sigint)

import argparse
import math
import time
from datetime import datetime

import numpy as np

from python.mnist import MnistData, normalize
from python.optimizer import sgd_update
from python.rng import Rng
from python.suite.errors import DivergedError, DlfsError, NumericalError
from python.suite.progress import Progress
from python.suite.run_files import Run
from python.suite.train_cli import COMMAND, parse_args
from python.suite.train_setup import start_fresh, start_resume, write_outputs
from python.two_layer_net import TwoLayerNet

EVAL_CHUNK = 500  # images scaled and predicted at a time: a float64 copy of the whole set would be 440 MB


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
        params_before = net.params  # written, with rng_before, if loss i is not finite
        rng_before = [*batch_rng.s1, *batch_rng.s2]
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
    previous = signal.getsignal(signal.SIGINT)
    try:  # a ^C that lands while the handler is installed is the new handler's, inside this try
        signal.signal(signal.SIGINT, run.on_sigint)
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
