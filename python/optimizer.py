"""Stochastic gradient descent update."""

import numpy as np

from python.suite.checks import require_positive
from python.suite.errors import InputError, InputTypeError

Params = dict[str, np.ndarray]


def sgd_update(params: Params, grads: Params, lr: float = 0.01) -> Params:
    """Return new params p - lr * g for every key; the inputs are not modified."""
    lr = require_positive(lr, "lr")
    if not isinstance(params, dict) or not isinstance(grads, dict) or params.keys() != grads.keys():
        raise InputError(f"params and grads must be dicts with the same keys, got {describe_keys(params)} "
                         f"and {describe_keys(grads)}")
    for key, p in params.items():
        for name, value in (("params", p), ("grads", grads[key])):
            if not isinstance(value, np.ndarray | np.generic | float | int) or \
                    np.asarray(value).dtype.kind not in "iuf":
                raise InputTypeError(f"{name}[{key!r}] must be a numeric array, got {type(value).__name__}")
        if np.shape(p) != np.shape(grads[key]):
            raise InputError(f"{key}: param shape {np.shape(p)} != grad shape {np.shape(grads[key])}")
    with np.errstate(over="ignore"):  # a step beyond float64 gives Inf weights: training's divergence
        return {key: _step(p, grads[key], lr) for key, p in params.items()}


def _step(p: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
    """p - lr * g, rounded as written, reusing the temporary lr * g for the result."""
    out = lr * g
    if isinstance(out, np.ndarray) and out.shape == np.shape(p) and np.result_type(p, out) == out.dtype:
        return np.subtract(p, out, out=out)
    return p - out  # a scalar, or a result wider than lr * g: nothing to reuse


def describe_keys(value: object) -> str:
    """The sorted keys of a dict, or the type of anything else, for an error message."""
    return str(sorted(map(str, value))) if isinstance(value, dict) else type(value).__name__
