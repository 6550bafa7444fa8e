"""Train the book's TwoLayerNet on (Fashion-)MNIST: ``python -m python.train --help``.

Same flags, same numbers as ``Rscript r/train.R``. The experiment, as in the book's ch04/train_neuralnet.py:
- net = TwoLayerNet(784, hidden, 10, weight_init_std, seed=seed); minibatches come from a second
  generator Rng(seed + 1): each iteration draws integers(train_size, batch_size), with replacement;
- loop index i = 0..iters-1: gradient on the minibatch, sgd_update, then the minibatch loss *after*
  the update (the book's order) is row ``i`` of metrics.csv;
- when i % eval_every == 0 (so first after one update, at i = 0), train accuracy over the whole
  (limited) training set and test accuracy over the test set, in chunks of EVAL_CHUNK rows;
- final accuracies in summary.json are those of the final weights (re-evaluated unless the last
  iteration was an evaluation one); checkpoint.bin holds the final weights.

Speed: the loss after the update and the evaluations only read the new weights, so a worker process
(Worker, forked) computes them on the other core while the main process takes the next steps; each
process runs a single-threaded BLAS. At these sizes a multithreaded BLAS gains little on a quiet
machine and loses ten times over when another process holds a core (its threads wait for each other
at every product), while two independent processes just share the cores.
"""

import os
import sys

# Before numpy loads its BLAS (python -m python.train imports nothing else first); a user's own
# setting wins. The worker process runs only where this took effect: two multithreaded BLAS pools on
# two cores stall each other.
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _BLAS_THREADS:
    os.environ.setdefault(_var, "1")
SINGLE_THREADED_BLAS = "numpy" not in sys.modules and all(os.environ[v] == "1" for v in _BLAS_THREADS)

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import mmap  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
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

from python.checkpoint import CheckpointError, atomic_path, load_checkpoint, save_checkpoint, write_atomic  # noqa: E402
from python.mnist import IdxError, MnistData, default_data_dir, download_mnist, load_dataset, normalize  # noqa: E402
from python.optimizer import sgd_update  # noqa: E402
from python.rng import MAX_SEED, Rng  # noqa: E402
from python.two_layer_net import PARAM_KEYS, Params, TwoLayerNet  # noqa: E402

if TYPE_CHECKING:
    from python.plots import Progress  # imported when needed: matplotlib takes half a second

EVAL_CHUNK = 500  # rows scaled and predicted at a time: small enough to stay in cache (measured fastest)
DRAW_BLOCK = 100  # iterations whose minibatch indices are drawn in one call: the same stream, fewer calls
# Losses the worker may owe: slots of weights (318 KB each) shared with it. When it owes as many,
# the main process computes the loss itself, so neither waits.
RING = 64
OUTPUTS = ("metrics.csv", "epochs.csv", "summary.json", "curves.png", "checkpoint.bin")


def build_parser() -> argparse.ArgumentParser:
    """The command line, identical to r/train.R's."""
    p = argparse.ArgumentParser(prog="python -m python.train",
                                description="Train the book's TwoLayerNet on (Fashion-)MNIST.")
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
    return p


def check_args(p: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    """Reject out-of-range flag values with argparse's usage error (exit status 2)."""
    for name in ("iters", "batch_size", "hidden", "eval_every", "train_limit"):
        value = getattr(a, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if not 0 <= a.seed < MAX_SEED:
        p.error(f"--seed must be in 0..{MAX_SEED - 1}, got {a.seed}")
    if a.download and a.dataset != "mnist":
        p.error("--download is only available with --dataset mnist")


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
    """count_correct over rows start..stop-1."""
    y = net.predict(normalize(x[start:stop]), params)
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
    """The minibatch loss of params, scaling the uint8 rows itself."""
    return net.loss(normalize(x_rows), t, params)


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
                request = conn.recv()
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
            conn.send(("error", traceback.format_exc()))


def train(a: argparse.Namespace, data: MnistData, net: TwoLayerNet, bar: "Progress") -> dict:
    """Run the SGD loop; return losses, evaluations and timings."""
    x_train, t_train = data.x_train, data.t_train
    n_train, n_test = x_train.shape[0], data.x_test.shape[0]
    batches = Rng(a.seed + 1)
    grad_fn = net.gradient if a.grad == "backprop" else net.numerical_gradient
    losses: list[float | None] = [None] * a.iters
    counts: dict[int, list[int]] = {}  # correct (training, test) rows per evaluation
    n_evals = len(range(0, a.iters, a.eval_every))
    eval_seconds, done = 0.0, 0  # done: iterations whose loss has been recorded, in order
    fork = SINGLE_THREADED_BLAS and "fork" in multiprocessing.get_all_start_methods()
    worker = Worker(net, data) if fork else None
    final_here = None  # the main process's share of the final evaluation

    def record(answers: Iterator[tuple]) -> None:
        """Store the worker's answers; print evaluations and progress in order."""
        nonlocal eval_seconds, done
        for answer in answers:
            if answer[0] == "loss":
                losses[answer[1]] = answer[2]
            else:
                i, counts[i], seconds = answer[1:]
                eval_seconds += seconds
                if i < a.iters:
                    bar.write(f"train acc, test acc | {counts[i][0] / n_train:.4f}, "
                              f"{counts[i][1] / n_test:.4f}")
        while done < a.iters and losses[done] is not None:
            done += 1
            bar.update(done, losses[done - 1])

    def evaluate(i: int, params: Params) -> None:
        """Evaluate params: on the worker, or here without one."""
        if worker is not None:
            worker.request_eval(i, params, eval_chunks(data))
        else:
            t0 = time.perf_counter()
            record(iter([("eval", i, count_chunks(net, data, eval_chunks(data), params),
                          time.perf_counter() - t0)]))

    start = time.perf_counter()
    failed = True
    try:
        for i in range(a.iters):
            if i % DRAW_BLOCK == 0:  # integers(n, k * b) is integers(n, b) k times over, concatenated
                block = batches.integers(n_train, a.batch_size * min(DRAW_BLOCK, a.iters - i))
                block = block.reshape(-1, a.batch_size)
            idx = block[i % DRAW_BLOCK]
            x_rows, t_batch = x_train[idx], t_train[idx]
            net.params = sgd_update(net.params, grad_fn(normalize(x_rows), t_batch), a.lr)
            params = net.params  # replaced, never modified, by the next update: safe to share
            if i % a.eval_every == 0:
                evaluate(i, params)
            if worker is None or not worker.request_loss(i, params, idx):
                losses[i] = batch_loss(net, x_rows, t_batch, params)
            record(worker.answers() if worker is not None else iter(()))
        if (a.iters - 1) % a.eval_every != 0:  # the final weights: half of the training set here
            half = n_train // 2
            if worker is not None:
                worker.request_eval(a.iters, net.params, eval_chunks(data, range(half), test=False))
                final_here = count_chunks(net, data, eval_chunks(data, range(half, n_train)), net.params)
            else:
                evaluate(a.iters, net.params)
        while done < a.iters or len(counts) < n_evals + (final_here is not None):
            record(worker.answers(wait=True))  # (without a worker, all is recorded already)
        failed = False
    finally:
        if worker is not None:
            worker.close(failed)
    if final_here is not None:  # the worker counted the first half of the training set
        counts[a.iters] = [counts[a.iters][0] + final_here[0], final_here[1]]
    final = counts[a.iters] if a.iters in counts else counts[(a.iters - 1) // a.eval_every * a.eval_every]
    accuracy = {i: (c[0] / n_train, c[1] / n_test) for i, c in counts.items()}
    return {"losses": losses, "train_seconds": time.perf_counter() - start, "eval_seconds": eval_seconds,
            "evals": [(i // a.eval_every, i, *accuracy[i]) for i in range(0, a.iters, a.eval_every)],
            "final": (final[0] / n_train, final[1] / n_test), "eval_overlapped": worker is not None}


def write_outputs(out: Path, a: argparse.Namespace, data: MnistData, net: TwoLayerNet, res: dict,
                  timing: dict) -> dict:
    """Write every output through a temporary file and a rename; summary.json last."""
    save_checkpoint(out / "checkpoint.bin", net.params)
    write_atomic(out / "metrics.csv", "iter,loss\n" + "".join(
        f"{i},{loss:.17g}\n" for i, loss in enumerate(res["losses"])))
    write_atomic(out / "epochs.csv", "epoch,iter,train_acc,test_acc\n" + "".join(
        f"{e},{i},{tr:.17g},{te:.17g}\n" for e, i, tr, te in res["evals"]))
    from python.plots import plot_curves  # loaded in the background by run()

    with atomic_path(out / "curves.png") as tmp:
        plot_curves(tmp, range(len(res["losses"])), res["losses"], [e[0] for e in res["evals"]],
                    [e[2] for e in res["evals"]], [e[3] for e in res["evals"]],
                    f"python | {a.dataset} | seed {a.seed} | {a.iters} iterations | grad {a.grad}")
    timing["wall_seconds"] = time.perf_counter() - timing.pop("t_start")
    summary = {
        "flags": dict(vars(a)), "versions": versions(), "batch_generator": f"Rng({a.seed + 1})",
        "data": {"dir": str(Path(a.data_dir).resolve()), "train_size": int(data.x_train.shape[0]),
                 "test_size": int(data.x_test.shape[0]), "image_shape": list(data.image_shape),
                 "files": data.files},
        "final_train_acc": res["final"][0], "final_test_acc": res["final"][1],
        "final_loss": res["losses"][-1], "evaluations": len(res["evals"]), "timing": timing,
        "outputs": list(OUTPUTS),
    }
    write_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def run(a: argparse.Namespace) -> dict:
    """Load the data, train, write the outputs; return the summary."""
    t_start, started = time.perf_counter(), datetime.now().astimezone()
    # matplotlib (for the progress bar's module and the curves) loads while the data is read: gzip
    # releases the GIL. A later import of python.plots waits for this one to finish.
    threading.Thread(target=importlib.import_module, args=("python.plots",), daemon=True).start()
    out = Path(a.out or f"runs/{started:%Y%m%d-%H%M%S}-python-seed{a.seed}")
    if (out / "metrics.csv").exists() or (out / "summary.json").exists():
        raise FileExistsError(f"{out}: already holds a run's metrics.csv/summary.json; refusing to overwrite")
    a.data_dir = str(a.data_dir or default_data_dir(a.dataset))
    if a.download:
        download_mnist(a.data_dir, log=not a.quiet)
    data = load_dataset(a.data_dir)
    if a.train_limit is not None:
        if a.train_limit > data.x_train.shape[0]:
            raise IdxError(f"--train-limit {a.train_limit} exceeds the {data.x_train.shape[0]} "
                           "training images")
        data.x_train, data.t_train = data.x_train[:a.train_limit], data.t_train[:a.train_limit]
    a.eval_every = a.eval_every or max(1, data.x_train.shape[0] // a.batch_size)
    net = TwoLayerNet(data.x_train.shape[1], a.hidden, 10, a.weight_init_std, seed=a.seed)
    if a.checkpoint_in:
        weights = load_checkpoint(a.checkpoint_in)
        try:
            net.params = weights
        except (KeyError, ValueError) as err:
            raise CheckpointError(f"{a.checkpoint_in}: does not fit the net: {err}") from err
    a.out = str(out)
    out.mkdir(parents=True, exist_ok=True)
    load_seconds = time.perf_counter() - t_start
    from python.plots import Progress  # waits for the background import, if still running

    bar = Progress(a.iters, a.quiet)
    try:
        res = train(a, data, net, bar)
    finally:
        bar.close()
    timing = {"t_start": t_start, "started": started.isoformat(timespec="seconds"),
              "load_seconds": load_seconds,
              "train_seconds": res["train_seconds"], "eval_seconds": res["eval_seconds"],
              # Overlapped evaluations (on the worker) cost the loop no wall time of their own.
              "eval_overlapped": res["eval_overlapped"],
              "seconds_per_iteration": (res["train_seconds"] - (0.0 if res["eval_overlapped"]
                                                                else res["eval_seconds"])) / a.iters}
    summary = write_outputs(out, a, data, net, res, timing)
    print(f"final train acc, test acc | {res['final'][0]:.4f}, {res['final'][1]:.4f} "
          f"({timing['wall_seconds']:.1f} s) -> {out}")
    return summary


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (1 for data/checkpoint/output errors, 2 for bad flags)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    try:
        run(args)
    except (IdxError, CheckpointError, OSError) as err:
        print(f"train: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
