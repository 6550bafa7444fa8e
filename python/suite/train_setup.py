"""The training run's set-up and outputs: the data cut to the flags, a fresh or resumed start, summary.json.

python/train.py runs the book's loop between start_fresh()/start_resume() and write_outputs();
r/suite/train_setup.R mirrors these functions under the same names.
"""

import argparse
import json
import os
import platform
from datetime import datetime
from pathlib import Path

import numpy as np

from python.figures import curves
from python.mnist import MnistData, default_data_dir, load_dataset
from python.rng import Rng
from python.suite import run_files
from python.suite.checkpoint import atomic_path, load_weights, write_atomic
from python.suite.download import download_mnist
from python.suite.errors import CheckpointError, InputError
from python.suite.run_files import Run
from python.suite.train_cli import recorded_flags
from python.suite.train_state import TrainState, check_state_fits, load_state
from python.two_layer_net import TwoLayerNet


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
    args.out = os.path.abspath(args.out or f"runs/{datetime.now():%Y%m%d-%H%M%S}-python-seed{args.seed}")
    out = Path(args.out)
    run_files.guard_out_dir(out, args.force)
    args.data_dir = os.path.abspath(args.data_dir or default_data_dir(args.dataset))
    if args.download:
        download_mnist(args.data_dir, log=not args.quiet)
    data = load_data(args)
    args.eval_every = args.eval_every or max(1, data.x_train.shape[0] // args.batch_size)
    net = TwoLayerNet(data.x_train.shape[1], args.hidden, 10, args.weight_init_std, seed=args.seed)
    if args.checkpoint_in:
        try:
            net.params = load_weights(args.checkpoint_in)
        except InputError as err:  # the weights' shapes (load_weights' own errors are CheckpointErrors)
            raise CheckpointError(f"{args.checkpoint_in}: does not fit the net: {err}") from err
    flags = dict(vars(args))
    run_files.start_out_dir(out, flags, {key: f["sha256"] for key, f in data.files.items()})
    batch_rng = Rng(args.seed + 1)
    return out, flags, data, net, TrainState(net.params, 0, [*batch_rng.s1, *batch_rng.s2], [], [])


def start_resume(args: argparse.Namespace) -> tuple[Path, dict, MnistData, TwoLayerNet, TrainState] | None:
    """Take the flags from DIR/run.json, check the data and the checkpoint; None if the run is complete."""
    out = Path(os.path.abspath(args.resume))
    body = run_files.read_run_json(out)
    resumed = recorded_flags(body["flags"], out / "run.json")
    if resumed.eval_every is None or resumed.data_dir is None:
        raise CheckpointError(f"{out / 'run.json'}: flags eval_every and data_dir must be resolved")
    vars(args).update({**vars(resumed), "out": str(out), "quiet": args.quiet, "resume": str(out)})
    data = load_data(args)
    net = TwoLayerNet(data.x_train.shape[1], args.hidden, 10, args.weight_init_std, seed=args.seed)
    run_files.remove_stale_tmp(out)
    run_files.check_data_files(body["data_files"], data.files, out / "run.json")
    state = load_state(out)
    check_state_fits(state, vars(args), net.shapes, str(out / "checkpoint.bin"))
    net.params = state.params
    try:  # summary.json's status, if it is there and readable
        status = json.loads((out / "summary.json").read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        status = None
    if state.iterations_done == args.iters and status == "complete":
        print(f"{out}: the run is already complete ({args.iters} iterations); nothing to do")
        return None
    if not args.quiet:
        print(f"resuming {out} at iteration {state.iterations_done} of {args.iters}", flush=True)
    return out, {**body["flags"], "out": str(out)}, data, net, state


def write_outputs(run: Run, args: argparse.Namespace, flags: dict, data: MnistData,
                  final: tuple[float, float] | None, resumed_from: int | None, timing: dict) -> dict:
    """curves.png (complete runs) and summary.json, each through a temporary file and a rename."""
    if final is not None:
        with atomic_path(run.out / "curves.png") as tmp:
            curves(tmp, range(len(run.losses)), run.losses, [e[0] for e in run.evals],
                   [e[2] for e in run.evals], [e[3] for e in run.evals],
                   f"python | {args.dataset} | seed {args.seed} | {args.iters} iterations | grad {args.grad}")
    status = {"status": "complete"} if run.diverged is None else {
        "status": "diverged", "diverged_at": run.diverged[0], "diverged_loss": str(run.diverged[1])}
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    summary = {
        **status, "resumed_from": resumed_from,
        "flags": flags, "batch_generator": f"Rng({args.seed + 1})",
        "versions": {"language": "python", "python": platform.python_version(), "numpy": np.__version__,
                     "blas": f"{blas.get('name')} {blas.get('version')}", "platform": platform.platform()},
        "data": {"dir": str(Path(args.data_dir).resolve()), "train_size": int(data.x_train.shape[0]),
                 "test_size": int(data.x_test.shape[0]), "image_shape": list(data.image_shape),
                 "files": data.files},
        "final_train_acc": final[0] if final else None, "final_test_acc": final[1] if final else None,
        "final_loss": run.losses[-1] if run.losses else None, "evaluations": len(run.evals),
        "timing": timing, "outputs": [name for name in run_files.RUN_FILES if name != "curves.png" or final],
    }
    write_atomic(run.out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
