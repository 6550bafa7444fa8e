"""Train the book's TwoLayerNet on (Fashion-)MNIST: ``python -m python.train --help``.

Same flags, same numbers as ``Rscript r/train.R``. The experiment, as in the book's ch04/train_neuralnet.py:
- net = TwoLayerNet(784, hidden, 10, weight_init_std, seed=seed); minibatches come from a second
  generator Rng(seed + 1): each iteration draws integers(train_size, batch_size), with replacement;
- loop index i = 0..iters-1: gradient on the minibatch, sgd_update, then the minibatch loss *after*
  the update (the book's order) is row ``i`` of metrics.csv;
- when i % eval_every == 0 (so first after one update, at i = 0), train accuracy over the whole
  (limited) training set and test accuracy over the test set, in chunks of EVAL_CHUNK rows;
- final accuracies in summary.json are those of the final weights (re-evaluated unless the last
  iteration was an evaluation one); checkpoint.bin holds the final weights and the training state.

Speed: the loss after the update and the evaluations only read the new weights, so a worker process
(Worker, forked) computes them on the other core while the main process takes the next steps; each
process runs a single-threaded BLAS. At these sizes a multithreaded BLAS gains little on a quiet
machine and loses ten times over when another process holds a core (its threads wait for each other
at every product), while two independent processes just share the cores.

Runs on disk follow docs/robust_training.md (python/suite/run_state.py): run.json first, a training
checkpoint (weights, generator state, losses, evaluations) every eval_every iterations, --resume DIR
continues bit for bit, the first non-finite loss stops the run (exit 3) with the last good state on
disk, SIGINT exits 130 after the last checkpoint, bad flags and files exit 2 with one line. The
worker answers late, so the main process keeps the weights (references) of the iterations whose loss
is still unknown, and BatchStream the generator states, to write the exact state before a bad loss.
"""

import os
import sys


def _early_sigint(signum: int, frame: object) -> None:
    """^C while the modules load (nothing written yet): the one-line message, no traceback."""
    os.write(2, b"train: interrupted before the first checkpoint; nothing to resume\n")
    os._exit(130)


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, _early_sigint)

# Before numpy loads its BLAS (python -m python.train imports nothing else first); a user's own
# setting wins. The worker process runs only where this took effect: two multithreaded BLAS pools on
# two cores stall each other.
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _BLAS_THREADS:
    os.environ.setdefault(_var, "1")
SINGLE_THREADED_BLAS = "numpy" not in sys.modules and all(os.environ[v] == "1" for v in _BLAS_THREADS)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import mmap  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import deque  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import datetime  # noqa: E402
from multiprocessing.connection import Connection  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import numpy as np  # noqa: E402

from python.mnist import MnistData, default_data_dir, download_mnist, load_dataset, normalize  # noqa: E402
from python.optimizer import sgd_update  # noqa: E402
from python.rng import MAX_SEED, Rng  # noqa: E402
from python.suite.checkpoint import atomic_path, load_checkpoint, write_atomic  # noqa: E402
from python.suite.errors import CheckpointError, DivergedError, DlfsError, InputError, NumericalError  # noqa: E402
from python.suite.run_state import (  # noqa: E402
    RUN_FILES,
    BatchStream,
    RunTracker,
    TrainState,
    check_data_files,
    check_state_fits,
    clear_run_files,
    guard_out_dir,
    load_state,
    read_run_json,
    remove_stale_tmp,
    write_run_json,
)
from python.two_layer_net import PARAM_KEYS, Params, TwoLayerNet  # noqa: E402

if TYPE_CHECKING:
    from python.plots import Progress  # imported when needed: matplotlib takes half a second

EVAL_CHUNK = 500  # rows scaled and predicted at a time: small enough to stay in cache (measured fastest)
DRAW_BLOCK = 100  # iterations whose minibatch indices are drawn in one call: the same stream, fewer calls
# Losses the worker may owe: slots of weights (318 KB each) shared with it. When it owes as many,
# the main process computes the loss itself, so neither waits.
RING = 64
# Iterations the main process may run ahead of the last known loss: it keeps their weights (by
# reference) until then, to write the last good state if a loss comes back non-finite.
MAX_LAG = 2 * RING
OUTPUTS = RUN_FILES


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is an InputError: main prints it as one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise instead of printing the usage and exiting."""
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    """The command line, identical to r/train.R's."""
    p = Parser(prog="python -m python.train", description="Train the book's TwoLayerNet on (Fashion-)MNIST.")
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
    """Parse and check the command line; an InputError names the first bad flag."""
    a = build_parser().parse_args(argv)
    if a.resume is not None:
        given = build_parser()
        for action in given._actions:
            action.default = argparse.SUPPRESS
        others = sorted(set(vars(given.parse_args(argv))) - {"resume", "quiet"})
        if others:
            raise InputError("--resume takes every flag from DIR/run.json; only --quiet may be given "
                             f"with it, got {' '.join('--' + k.replace('_', '-') for k in others)}")
        return a
    for name in ("iters", "batch_size", "hidden", "eval_every", "train_limit"):
        value = getattr(a, name)
        if value is not None and value < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if not (math.isfinite(a.lr) and a.lr > 0):
        raise InputError(f"--lr must be a finite number > 0, got {a.lr}")
    if not (math.isfinite(a.weight_init_std) and a.weight_init_std >= 0):
        raise InputError(f"--weight-init-std must be a finite number >= 0, got {a.weight_init_std}")
    if not 0 <= a.seed < MAX_SEED:
        raise InputError(f"--seed must be in 0..{MAX_SEED - 1}, got {a.seed}")
    if a.download and a.dataset != "mnist":
        raise InputError("--download is only available with --dataset mnist")
    return a


def versions() -> dict[str, str]:
    """Language, library and BLAS versions."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {"language": "python", "python": platform.python_version(), "numpy": np.__version__,
            "blas": f"{blas.get('name')} {blas.get('version')}", "platform": platform.platform()}


def count_correct(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, params: Params | None = None) -> int:
    """Rows whose most probable class (first on ties) is the label, scaling one chunk at a time."""
    n = x.shape[0]
    return sum(chunk_correct(net, x, t, start, min(n, start + EVAL_CHUNK), params)
               for start in range(0, n, EVAL_CHUNK))


def chunk_correct(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, start: int, stop: int,
                  params: Params | None) -> int:
    """count_correct over rows start..stop-1 (none for diverged weights: that evaluation is dropped)."""
    try:
        y = net.predict(normalize(x[start:stop]), params)
    except NumericalError:
        return 0
    return int(np.count_nonzero(np.argmax(y, axis=1) == t[start:stop]))


Chunk = tuple[int, int, int]  # (0 for the training set or 1 for the test set, first row, end row)


def eval_chunks(data: MnistData, train_rows: range | None = None, test: bool = True) -> list[Chunk]:
    """The chunks of an evaluation: train_rows (all by default) of the training set, then the test set."""
    sets = [range(data.x_train.shape[0]) if train_rows is None else train_rows]
    sets += [range(data.x_test.shape[0])] if test else []
    return [(which, start, min(rows.stop, start + EVAL_CHUNK))
            for which, rows in enumerate(sets) for start in range(rows.start, rows.stop, EVAL_CHUNK)]


def count_chunks(net: TwoLayerNet, data: MnistData, chunks: list[Chunk], params: Params) -> list[int]:
    """Correct rows per set (training, test) over the chunks."""
    sets, counts = ((data.x_train, data.t_train), (data.x_test, data.t_test)), [0, 0]
    for which, start, stop in chunks:
        counts[which] += chunk_correct(net, *sets[which], start, stop, params)
    return counts


def batch_loss(net: TwoLayerNet, x_rows: np.ndarray, t: np.ndarray, params: Params) -> float:
    """The minibatch loss of params, scaling the uint8 rows itself; NaN when the weights overflow."""
    try:
        return net.loss(normalize(x_rows), t, params)
    except NumericalError:
        return math.nan


class Worker:
    """A forked process computing, for the main process, minibatch losses and evaluations.

    Both only read the new weights, so they run on the other core while the main process takes the
    next steps. A process, not a thread: the two threads' small numpy calls contended for the GIL.
    The weights for a loss go into one of RING slots of shared memory and a pipe carries the request
    (iteration, slot, batch indices); an evaluation's weights go down the pipe. Losses come first;
    evaluation chunks fill the worker's idle time, so an evaluation never holds up the losses.
    Answers come back up the pipe: ("loss", i, loss), ("eval", i, (train_correct, test_correct),
    seconds), or ("error", traceback).
    """

    def __init__(self, net: TwoLayerNet, data: MnistData) -> None:
        """Fork the worker; the data is shared with it (copy-on-write, never written)."""
        self.shapes = [net.shapes[key] for key in PARAM_KEYS]
        self.bounds = np.cumsum([0] + [int(np.prod(shape)) for shape in self.shapes])
        shared = mmap.mmap(-1, RING * int(self.bounds[-1]) * 8)  # anonymous: shared across fork
        self.ring = np.frombuffer(shared, dtype=np.float64).reshape(RING, -1)
        self.sent = self.owed = 0  # losses requested, and not yet answered
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=self.serve, args=(child, net, data), daemon=True)
        self.process.start()
        child.close()

    def slot_params(self, slot: int) -> Params:
        """The weights in a ring slot, as views."""
        row = self.ring[slot]
        return {key: row[lo:hi].reshape(shape) for key, shape, lo, hi
                in zip(PARAM_KEYS, self.shapes, self.bounds[:-1], self.bounds[1:], strict=True)}

    def request_loss(self, i: int, params: Params, idx: np.ndarray) -> bool:
        """Ask for the loss of iteration i; False (and nothing sent) if RING losses are still owed."""
        if self.owed >= RING:
            return False
        slot = self.sent % RING  # its last user was RING requests ago, and has been answered
        for key, view in self.slot_params(slot).items():
            np.copyto(view, params[key])
        self.conn.send(("loss", i, slot, idx))
        self.sent += 1
        self.owed += 1
        return True

    def request_eval(self, i: int, params: Params, chunks: list[Chunk]) -> None:
        """Ask for count_chunks() of params, tagged i."""
        self.conn.send(("eval", i, params, chunks))

    def answers(self, wait: bool = False) -> Iterator[tuple]:
        """The answers that have arrived (with wait, block for one if none has)."""
        while wait or self.conn.poll():
            try:
                answer = self.conn.recv()
            except EOFError:
                raise RuntimeError("the training worker process died") from None
            if answer[0] == "error":
                raise RuntimeError(f"the training worker failed:\n{answer[1]}")
            if answer[0] == "loss":
                self.owed -= 1
            wait = False
            yield answer

    def close(self, failed: bool) -> None:
        """Let the worker finish (after the last answer) or, failed, stop it."""
        if failed:
            self.process.terminate()
        else:
            self.conn.send(None)
        self.process.join()
        self.conn.close()

    def serve(self, conn: Connection, net: TwoLayerNet, data: MnistData) -> None:
        """The worker's loop (in the child): losses as they come, evaluation chunks when idle."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles ^C and stops us
        np.seterr(all="ignore")  # diverged weights give NaN, which the main process reports
        evals: deque[list[Any]] = deque()  # [i, params, chunks left, counts, seconds]
        try:
            while True:
                if evals and not conn.poll():
                    job = evals[0]
                    t0 = time.perf_counter()
                    counts = count_chunks(net, data, [job[2].pop()], job[1])
                    job[3] = [a + b for a, b in zip(job[3], counts, strict=True)]
                    job[4] += time.perf_counter() - t0
                    if not job[2]:
                        conn.send(("eval", job[0], job[3], job[4]))
                        evals.popleft()
                    continue
                try:
                    request = conn.recv()
                except EOFError:  # the main process is gone (killed): nobody to answer
                    return
                if request is None:
                    return
                if request[0] == "loss":
                    _, i, slot, idx = request
                    loss = batch_loss(net, data.x_train[idx], data.t_train[idx], self.slot_params(slot))
                    conn.send(("loss", i, loss))
                else:
                    _, i, params, chunks = request
                    evals.append([i, params, list(chunks), [0, 0], 0.0])
        except BaseException:  # reported to the main process, which raises it
            with contextlib.suppress(OSError):
                conn.send(("error", traceback.format_exc()))


def train(a: argparse.Namespace, data: MnistData, net: TwoLayerNet, bar: "Progress", out: Path,
          state: TrainState, tracker: RunTracker) -> dict:
    """Run the SGD loop from state, writing a checkpoint every eval_every iterations; return the results.

    On the first non-finite loss, write the last good state and raise DivergedError.
    """
    x_train, t_train = data.x_train, data.t_train
    n_train, n_test = x_train.shape[0], data.x_test.shape[0]
    every, n0 = a.eval_every, state.iterations_done
    batches = BatchStream(state.batch_rng, n_train, a.batch_size, a.iters, DRAW_BLOCK)
    grad_fn = net.gradient if a.grad == "backprop" else net.numerical_gradient
    losses: list[float | None] = [*state.losses, *[None] * (a.iters - n0)]
    accuracy = {i: (tr, te) for _, i, tr, te in state.evals}  # per evaluation iteration
    after = {n0 - 1: net.params}  # weights after update i, from the last known loss on
    eval_seconds, done, diverged = 0.0, n0, None  # done: iterations whose (finite) loss is recorded
    fork = SINGLE_THREADED_BLAS and "fork" in multiprocessing.get_all_start_methods()
    worker = Worker(net, data) if fork else None
    final_parts: list[list[int]] = []  # the final weights' correct rows (training, test), by process

    def record(answers: Iterator[tuple]) -> None:
        """Store the worker's answers; print evaluations and progress in order; spot divergence."""
        nonlocal eval_seconds, done, diverged
        for answer in answers:
            if answer[0] == "loss":
                losses[answer[1]] = answer[2]
                continue
            i, counts, seconds = answer[1:]
            eval_seconds += seconds
            if i == a.iters:
                final_parts.append(counts)
            else:
                accuracy[i] = (counts[0] / n_train, counts[1] / n_test)
                bar.write(f"train acc, test acc | {accuracy[i][0]:.4f}, {accuracy[i][1]:.4f}")
        while diverged is None and done < a.iters and losses[done] is not None:
            if not math.isfinite(losses[done]):
                diverged = done
                return
            done += 1
            after.pop(done - 2, None)
            bar.update(done, losses[done - 1])

    def evaluate(i: int, params: Params, chunks: list[Chunk]) -> None:
        """Count correct rows of params: on the worker, or here without one."""
        if worker is not None:
            worker.request_eval(i, params, chunks)
        else:
            t0 = time.perf_counter()
            record(iter([("eval", i, count_chunks(net, data, chunks, params), time.perf_counter() - t0)]))

    def settle(n: int) -> int:
        """Wait for the losses and evaluations before iteration n (or the first non-finite loss); the n."""
        while worker is not None and diverged is None and done < n:
            record(worker.answers(wait=True))
        n = n if diverged is None else diverged
        last_eval = (n - 1) // every * every  # evaluations are answered in order
        while worker is not None and n > 0 and last_eval not in accuracy:
            record(worker.answers(wait=True))
        return n

    def checkpoint(n: int, params: Params) -> None:
        """Write the state after iteration n - 1 (params: its weights), or the last good one."""
        n = settle(n)
        params = params if diverged is None else after[n - 1]
        evals = [(i // every, i, *accuracy[i]) for i in range(0, n, every)]
        tracker.save(out, TrainState(params, n, batches.state_after(n), losses[:n], evals))

    due: list[tuple[int, Params]] = []  # periodic checkpoints whose losses or evaluations are still out

    def write_due() -> None:
        """Write the latest due checkpoint whose losses and evaluations are in; never wait for them.

        Waiting here for the worker's evaluation of the previous epoch cost about 20% of the run.
        """
        ready = [k for k, (n, _) in enumerate(due) if done >= n and (n - 1) // every * every in accuracy]
        if ready and diverged is None:
            n, params = due[ready[-1]]
            del due[:ready[-1] + 1]
            evals = [(i // every, i, *accuracy[i]) for i in range(0, n, every)]
            tracker.save(out, TrainState(params, n, batches.state_after(n), losses[:n], evals))

    start = time.perf_counter()
    failed = True
    try:
        for i in range(n0, a.iters):
            idx = batches.batch(i)
            x_rows, t_batch = x_train[idx], t_train[idx]
            try:
                grads = grad_fn(normalize(x_rows), t_batch)
            except NumericalError:  # the weights after update i - 1 overflow on this batch
                losses[i] = math.nan  # as a non-finite loss at i, once the losses before it are in
                while diverged is None:
                    record(worker.answers(wait=True) if worker is not None and done < i else iter(()))
                break
            net.params = sgd_update(net.params, grads, a.lr)
            params = after[i] = net.params  # replaced, never modified, by the next update: safe to share
            if i % every == 0:
                evaluate(i, params, eval_chunks(data))
            if worker is None or not worker.request_loss(i, params, idx):
                losses[i] = batch_loss(net, x_rows, t_batch, params)
            record(worker.answers() if worker is not None else iter(()))
            while worker is not None and diverged is None and i + 1 - done > MAX_LAG:
                record(worker.answers(wait=True))
            if diverged is None and (i + 1) % every == 0 and i + 1 < a.iters:
                due.append((i + 1, params))
            if due:
                write_due()
            if diverged is not None:
                break
        if diverged is None or tracker.checkpoint != diverged:
            checkpoint(a.iters, net.params)  # the final state, or the last good one
        if diverged is None and (a.iters - 1) % every != 0:  # the final weights, not evaluated yet
            half = n_train // 2 if worker is not None else 0  # the worker counts the first half
            if worker is not None:
                worker.request_eval(a.iters, net.params, eval_chunks(data, range(half), test=False))
            final_parts.append(count_chunks(net, data, eval_chunks(data, range(half, n_train)), net.params))
            while worker is not None and len(final_parts) < 2:
                record(worker.answers(wait=True))
        failed = diverged is not None
    finally:
        if worker is not None:
            worker.close(failed)
    n = a.iters if diverged is None else diverged
    res = {"losses": losses[:n], "evals": [(i // every, i, *accuracy[i]) for i in range(0, n, every)],
           "train_seconds": time.perf_counter() - start, "eval_seconds": eval_seconds,
           "eval_overlapped": worker is not None, "iterations_run": n - n0}
    if diverged is not None:
        return {**res, "diverged_at": diverged, "diverged_loss": losses[diverged], "final": None}
    if final_parts:
        counts = [sum(part[k] for part in final_parts) for k in (0, 1)]
        return {**res, "final": (counts[0] / n_train, counts[1] / n_test)}
    return {**res, "final": accuracy[a.iters - 1]}


def write_outputs(out: Path, flags: dict, a: argparse.Namespace, data: MnistData, res: dict,
                  timing: dict) -> dict:
    """curves.png (complete runs) and summary.json, each through a temporary file and a rename."""
    outputs = ["run.json", "metrics.csv", "epochs.csv", "checkpoint.bin", "summary.json"]
    if res["final"] is not None:
        from python.plots import plot_curves  # loaded in the background by run()

        with atomic_path(out / "curves.png") as tmp:
            plot_curves(tmp, range(len(res["losses"])), res["losses"], [e[0] for e in res["evals"]],
                        [e[2] for e in res["evals"]], [e[3] for e in res["evals"]],
                        f"python | {a.dataset} | seed {a.seed} | {a.iters} iterations | grad {a.grad}")
        outputs.append("curves.png")
    timing["wall_seconds"] = time.perf_counter() - timing.pop("t_start")
    status = {"status": "complete"} if res["final"] is not None else {
        "status": "diverged", "diverged_at": res["diverged_at"], "diverged_loss": str(res["diverged_loss"])}
    final = res["final"] or (None, None)
    summary = {
        **status, "resumed_from": timing.pop("resumed_from"),
        "flags": flags, "versions": versions(), "batch_generator": f"Rng({a.seed + 1})",
        "data": {"dir": str(Path(a.data_dir).resolve()), "train_size": int(data.x_train.shape[0]),
                 "test_size": int(data.x_test.shape[0]), "image_shape": list(data.image_shape),
                 "files": data.files},
        "final_train_acc": final[0], "final_test_acc": final[1],
        "final_loss": res["losses"][-1] if res["losses"] else None, "evaluations": len(res["evals"]),
        "timing": timing, "outputs": sorted(outputs, key=RUN_FILES.index),
    }
    write_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def load_data(a: argparse.Namespace) -> MnistData:
    """The four files of a.data_dir, the training set cut to --train-limit, checked against --batch-size."""
    data = load_dataset(a.data_dir)
    n = data.x_train.shape[0]
    if a.train_limit is not None:
        if a.train_limit > n:
            raise InputError(f"--train-limit {a.train_limit} exceeds the {n} training images in {a.data_dir}")
        data.x_train, data.t_train = data.x_train[:a.train_limit], data.t_train[:a.train_limit]
        n = a.train_limit
    if a.batch_size > n:
        raise InputError(f"--batch-size {a.batch_size} exceeds the {n} training images"
                         f"{' (after --train-limit)' if a.train_limit is not None else ''}")
    return data


def start_fresh(a: argparse.Namespace) -> tuple[Path, dict, MnistData, TwoLayerNet, TrainState]:
    """Check --out, load the data and the net; write run.json. The run's flags are a's, resolved."""
    started = datetime.now().astimezone()
    out = Path(os.path.abspath(a.out or f"runs/{started:%Y%m%d-%H%M%S}-python-seed{a.seed}"))
    earlier = guard_out_dir(out, a.force)
    a.data_dir = os.path.abspath(a.data_dir or default_data_dir(a.dataset))
    if a.download:
        download_mnist(a.data_dir, log=not a.quiet)
    data = load_data(a)
    a.eval_every = a.eval_every or max(1, data.x_train.shape[0] // a.batch_size)
    net = TwoLayerNet(data.x_train.shape[1], a.hidden, 10, a.weight_init_std, seed=a.seed)
    if a.checkpoint_in:
        weights = load_checkpoint(a.checkpoint_in)
        missing = [key for key in PARAM_KEYS if key not in weights]
        if missing:
            raise CheckpointError(f"{a.checkpoint_in}: has no {' '.join(missing)}; --checkpoint-in needs "
                                  f"the arrays {' '.join(PARAM_KEYS)}")
        try:
            net.params = {key: weights[key] for key in PARAM_KEYS}
        except (KeyError, ValueError) as err:
            raise CheckpointError(f"{a.checkpoint_in}: does not fit the net: {err}") from err
    a.out = str(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(out)
    if earlier:
        clear_run_files(out)
    flags = dict(vars(a))
    write_run_json(out, "python", flags, {key: f["sha256"] for key, f in data.files.items()})
    batches = Rng(a.seed + 1)
    return out, flags, data, net, TrainState(net.params, 0, [*batches.s1, *batches.s2], [], [])


def flags_argv(flags: dict) -> list[str]:
    """A command line giving these flags (run.json's), so that resume checks them as a fresh run would."""
    argv = []
    for action in build_parser()._actions:
        key = action.dest
        if key in ("help", "resume", "quiet") or flags.get(key) is None or flags.get(key) is False:
            continue
        argv += [action.option_strings[0]] + ([] if flags[key] is True else [str(flags[key])])
    return argv


def start_resume(a: argparse.Namespace) -> tuple[Path, dict, MnistData, TwoLayerNet, TrainState] | None:
    """Take the flags from DIR/run.json, check the data and the checkpoint; None if the run is complete."""
    out = Path(os.path.abspath(a.resume))
    body = read_run_json(out)
    try:
        resumed = parse_args(flags_argv(body["flags"]))
    except InputError as err:
        raise CheckpointError(f"{out / 'run.json'}: bad flags ({err})") from err
    if resumed.eval_every is None or resumed.data_dir is None:
        raise CheckpointError(f"{out / 'run.json'}: flags eval_every and data_dir must be resolved")
    flags = {**body["flags"], "out": str(out)}
    resumed.out, resumed.quiet = str(out), a.quiet
    vars(a).update(vars(resumed))
    remove_stale_tmp(out)
    data = load_data(a)
    check_data_files(body["data_files"], data.files, out / "run.json")
    state = load_state(out)
    net = TwoLayerNet(data.x_train.shape[1], a.hidden, 10, a.weight_init_std, seed=a.seed)
    check_state_fits(state, vars(a), net.shapes, str(out / "checkpoint.bin"))
    net.params = state.params
    if state.iterations_done == a.iters and run_status(out) == "complete":
        print(f"{out}: the run is already complete ({a.iters} iterations); nothing to do")
        return None
    if not a.quiet:
        print(f"resuming {out} at iteration {state.iterations_done} of {a.iters}", flush=True)
    return out, flags, data, net, state


def run_status(out: Path) -> str | None:
    """summary.json's status, if it is there and readable."""
    try:
        return json.loads((out / "summary.json").read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def run(a: argparse.Namespace, tracker: RunTracker) -> dict | None:
    """Start or resume a run, train, write the outputs; return the summary (None: already complete)."""
    t_start, started = time.perf_counter(), datetime.now().astimezone()
    # matplotlib (for the progress bar's module and the curves) loads while the data is read: gzip
    # releases the GIL. A later import of python.plots waits for this one to finish.
    threading.Thread(target=importlib.import_module, args=("python.plots",), daemon=True).start()
    resuming = a.resume is not None
    setup = start_resume(a) if resuming else start_fresh(a)
    if setup is None:
        return None
    out, flags, data, net, state = setup
    # Fresh: the iteration-0 checkpoint. Resumed: metrics.csv and epochs.csv rebuilt from the checkpoint.
    tracker.save(out, state)
    load_seconds = time.perf_counter() - t_start
    from python.plots import Progress  # waits for the background import, if still running

    bar = Progress(a.iters, a.quiet)
    try:
        with np.errstate(all="ignore"):  # diverging weights overflow: reported as a non-finite loss
            res = train(a, data, net, bar, out, state, tracker)
    finally:
        bar.close()
    run_seconds = res["train_seconds"] - (0.0 if res["eval_overlapped"] else res["eval_seconds"])
    timing = {"t_start": t_start, "started": started.isoformat(timespec="seconds"),
              "load_seconds": load_seconds, "resumed_from": state.iterations_done if resuming else None,
              "train_seconds": res["train_seconds"], "eval_seconds": res["eval_seconds"],
              # Overlapped evaluations (on the worker) cost the loop no wall time of their own.
              "eval_overlapped": res["eval_overlapped"],
              "seconds_per_iteration": run_seconds / max(1, res["iterations_run"])}
    summary = write_outputs(out, flags, a, data, res, timing)
    if res["final"] is None:
        raise DivergedError(f"training diverged at iteration {res['diverged_at']}: minibatch loss "
                            f"{res['diverged_loss']}; the last good state (iteration {res['diverged_at']}) "
                            f"is in {out}", res["diverged_at"])
    print(f"final train acc, test acc | {res['final'][0]:.4f}, {res['final'][1]:.4f} "
          f"({summary['timing']['wall_seconds']:.1f} s) -> {out}")
    return summary


def one_line(err: BaseException) -> str:
    """An error's message on one line."""
    return "; ".join(line.strip() for line in str(err).splitlines() if line.strip())


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status: 0 done, 2 bad flag/file/checkpoint/--out, 3 diverged, 130 ^C."""
    tracker = RunTracker()
    handle = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, tracker.on_sigint) if handle else None
    try:
        run(parse_args(argv), tracker)
    except KeyboardInterrupt:
        print(tracker.interrupted("python -m python.train"), file=sys.stderr)
        return 130
    except DivergedError as err:
        print(f"train: error: {one_line(err)}", file=sys.stderr)
        return 3
    except (DlfsError, OSError) as err:
        print(f"train: error: {one_line(err)}", file=sys.stderr)
        return 2
    finally:
        if handle:  # after the CLI's run, a ^C while Python exits changes nothing: ignored
            signal.signal(signal.SIGINT, signal.SIG_IGN if previous is _early_sigint else previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
