"""Stochastic gradient descent update."""

import numpy as np

from python.checks import require_positive
from python.errors import InputError

Params = dict[str, np.ndarray]


def sgd_update(params: Params, grads: Params, lr: float = 0.01) -> Params:
    """Return new params p - lr * g for every key; the inputs are not modified."""
    lr = require_positive(lr, "lr")
    if not isinstance(params, dict) or not isinstance(grads, dict) or params.keys() != grads.keys():
        raise InputError(f"params {sorted(params)} and grads {sorted(grads)} must be dicts with the "
                         "same keys")
    for key, p in params.items():
        if np.shape(p) != np.shape(grads[key]):
            raise InputError(f"{key}: param shape {np.shape(p)} != grad shape {np.shape(grads[key])}")
    return {key: _step(p, grads[key], lr) for key, p in params.items()}


def _step(p: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
    """p - lr * g, rounded as written, reusing the temporary lr * g for the result."""
    out = lr * g
    if isinstance(out, np.ndarray) and out.shape == np.shape(p) and np.result_type(p, out) == out.dtype:
        return np.subtract(p, out, out=out)
    return p - out  # a scalar, or a result wider than lr * g: nothing to reuse
