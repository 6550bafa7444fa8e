"""The training command line (argparse, used as it is): the flags, their checks, run.json's flags.

python/train.py runs the experiment and is the entry point (main); r/suite/train_cli.R mirrors this.
A bad flag is p.error, an InputError: main prints it as one line ``train: error: ...`` and exits 2.
"""

import argparse
import math
from pathlib import Path

from python.rng import MAX_SEED
from python.suite.errors import CheckpointError, InputError

COMMAND = "python -m python.train"


class Parser(argparse.ArgumentParser):
    """argparse whose error (p.error) is an InputError: main prints it as one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise instead of printing the usage and exiting."""
        raise InputError(message)


def build_parser() -> Parser:
    """The command line, the same flags as r/suite/train_cli.R's."""
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


def recorded_flags(flags: dict, json_path: Path) -> argparse.Namespace:
    """The flags recorded in run.json, checked as a fresh run's would be."""
    argv = []
    for action in build_parser()._actions:
        value = flags.get(action.dest)
        if action.dest not in ("help", "resume", "quiet") and value is not None and value is not False:
            argv += [action.option_strings[0]] + ([] if value is True else [str(value)])
    try:
        return parse_args(argv)
    except InputError as err:
        raise CheckpointError(f"{json_path}: bad flags ({err})") from err
