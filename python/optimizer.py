"""Stochastic gradient descent update."""

import numpy as np

Params = dict[str, np.ndarray]


def sgd_update(params: Params, grads: Params, lr: float = 0.01) -> Params:
    """Return new params p - lr * g for every key; the inputs are not modified."""
    if params.keys() != grads.keys():
        raise KeyError(f"params {sorted(params)} and grads {sorted(grads)} have different keys")
    for key, p in params.items():
        if np.shape(p) != np.shape(grads[key]):
            raise ValueError(f"{key}: param shape {np.shape(p)} != grad shape {np.shape(grads[key])}")
    return {key: p - lr * grads[key] for key, p in params.items()}
