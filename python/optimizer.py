"""Stochastic gradient descent update (the book's common/optimizer.py SGD, without the in-place update)."""

import numpy as np

from python.suite.function_checks import check_sgd

Params = dict[str, np.ndarray]


def sgd_update(params: Params, grads: Params, lr: float = 0.01) -> Params:
    """Return new params p - lr * g for every key; the inputs are not modified."""
    lr = check_sgd(params, grads, lr)
    with np.errstate(over="ignore"):  # a step beyond float64 gives Inf weights: training's divergence
        return {key: params[key] - lr * grads[key] for key in params}
