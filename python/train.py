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

Speed: the loss after the update and the evaluations only read the new weights, so a second thread
computes them while the main thread takes the next steps (numpy releases the GIL in its loops and
in BLAS); each thread runs a single-threaded BLAS. At these sizes a multithreaded BLAS gains little
on a quiet machine and loses ten times over when another process holds a core (its threads wait for
each other at every product), while two independent threads just share the cores.
"""

import os

# Before numpy loads its BLAS (python -m python.train imports nothing else first); a user's own
# setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from concurrent.futures import Future, ThreadPoolExecutor  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import numpy as np  # noqa: E402

from python.checkpoint import CheckpointError, atomic_path, load_checkpoint, save_checkpoint, write_atomic  # noqa: E402
from python.mnist import IdxError, MnistData, default_data_dir, download_mnist, load_dataset, normalize  # noqa: E402
from python.optimizer import sgd_update  # noqa: E402
from python.rng import MAX_SEED, Rng  # noqa: E402
from python.two_layer_net import Params, TwoLayerNet  # noqa: E402

if TYPE_CHECKING:
    from python.plots import Progress  # imported when needed: matplotlib takes half a second

EVAL_CHUNK = 500  # rows scaled and predicted at a time: small enough to stay in cache (measured fastest)
DRAW_BLOCK = 100  # iterations whose minibatch indices are drawn in one call: the same stream, fewer calls
# Iterations the worker may lag behind. Each holds its weights (313 KB) and uint8 rows (78 KB) until
# its loss is computed; when the worker lags (during an evaluation), the main thread computes the
# loss itself, so the memory stays bounded and both threads stay busy.
MAX_PENDING = 64
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
    correct = 0
    for start in range(0, x.shape[0], EVAL_CHUNK):
        y = net.predict(normalize(x[start:start + EVAL_CHUNK]), params)
        correct += int(np.count_nonzero(np.argmax(y, axis=1) == t[start:start + EVAL_CHUNK]))
    return correct


def accuracies(net: TwoLayerNet, data: MnistData, params: Params) -> tuple[float, float, float]:
    """Train and test accuracy of params, and the seconds they took."""
    t0 = time.perf_counter()
    train_acc = count_correct(net, data.x_train, data.t_train, params) / data.x_train.shape[0]
    test_acc = count_correct(net, data.x_test, data.t_test, params) / data.x_test.shape[0]
    return train_acc, test_acc, time.perf_counter() - t0


def final_accuracies(net: TwoLayerNet, data: MnistData, worker: ThreadPoolExecutor) -> tuple[float, float]:
    """Train and test accuracy of the net's weights, the first half of the training set on the worker."""
    half, params = data.x_train.shape[0] // 2, net.params
    first = worker.submit(count_correct, net, data.x_train[:half], data.t_train[:half], params)
    rest = count_correct(net, data.x_train[half:], data.t_train[half:], params)
    test = count_correct(net, data.x_test, data.t_test, params)
    return (first.result() + rest) / data.x_train.shape[0], test / data.x_test.shape[0]


def batch_loss(net: TwoLayerNet, x_rows: np.ndarray, t: np.ndarray, params: Params) -> float:
    """The minibatch loss of params, scaling the uint8 rows itself (they are 8 times smaller to hold)."""
    return net.loss(normalize(x_rows), t, params)


def train(a: argparse.Namespace, data: MnistData, net: TwoLayerNet, bar: "Progress") -> dict:
    """Run the SGD loop; return losses, evaluations and timings."""
    x_train, t_train = data.x_train, data.t_train
    n_train = x_train.shape[0]
    batches = Rng(a.seed + 1)
    grad_fn = net.gradient if a.grad == "backprop" else net.numerical_gradient
    losses: list[float] = []
    evals: list[tuple[int, int, float, float]] = []
    eval_seconds = 0.0
    # Per iteration, in order: (i, its loss, its evaluation or None), computed by the worker.
    pending: deque[tuple[int, Future, Future | None]] = deque()

    def settle(wait: bool) -> None:
        """Record finished iterations in order (all of them if wait), printing as before."""
        nonlocal eval_seconds
        while pending and (wait or all(f is None or f.done() for f in pending[0][1:])):
            i, loss, evaluation = pending.popleft()
            losses.append(loss.result())
            if evaluation is not None:
                train_acc, test_acc, seconds = evaluation.result()
                evals.append((i // a.eval_every, i, train_acc, test_acc))
                eval_seconds += seconds
                bar.write(f"train acc, test acc | {train_acc:.4f}, {test_acc:.4f}")
            bar.update(i + 1, losses[-1])

    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="train-loss-eval")
    start = time.perf_counter()
    try:
        for i in range(a.iters):
            if i % DRAW_BLOCK == 0:  # integers(n, k * b) is integers(n, b) k times over, concatenated
                block = batches.integers(n_train, a.batch_size * min(DRAW_BLOCK, a.iters - i))
                block = block.reshape(-1, a.batch_size)
            idx = block[i % DRAW_BLOCK]
            x_rows, t_batch = x_train[idx], t_train[idx]
            net.params = sgd_update(net.params, grad_fn(normalize(x_rows), t_batch), a.lr)
            params = net.params  # replaced, never modified, by the next update: safe to share
            if len(pending) < MAX_PENDING:
                loss = worker.submit(batch_loss, net, x_rows, t_batch, params)
            else:
                loss = Future()
                loss.set_result(batch_loss(net, x_rows, t_batch, params))
            pending.append((i, loss, worker.submit(accuracies, net, data, params)
                            if i % a.eval_every == 0 else None))
            settle(wait=False)
        # The final weights' accuracies: the last evaluation's if it was the last iteration's.
        final = None if (a.iters - 1) % a.eval_every == 0 else final_accuracies(net, data, worker)
        settle(wait=True)
        final = evals[-1][2:] if final is None else final
    finally:
        worker.shutdown(cancel_futures=True)  # on an error, drop the queued work
    return {"losses": losses, "evals": evals, "train_seconds": time.perf_counter() - start,
            "eval_seconds": eval_seconds, "final": final}


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
              # The evaluations overlap the iterations (on the worker thread): their wall time is
              # already in train_seconds, which is what an iteration costs.
              "eval_overlapped": True, "seconds_per_iteration": res["train_seconds"] / a.iters}
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
