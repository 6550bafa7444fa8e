"""Activation and loss functions (the book's common/functions.py, made exact-safe)."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

CE_DELTA = 1e-7  # the book's guard against log(0); it biases the loss by ~1e-7


def sigmoid(x: ArrayLike) -> Array:
    """Logistic function, accurate to 2 ULP over all float64 (subnormal results included)."""
    return sigmoid_inplace(np.array(x, dtype=np.float64))


def sigmoid_inplace(x: Array) -> Array:
    """sigmoid(x) written over x (a float64 array), which is returned."""
    upper = x >= 0
    # exp(-|x|) never overflows; e/(1+e) keeps the tiny results of x < 0 that 1/(1+exp(-x)) loses.
    e = np.exp(np.copysign(x, -1.0, out=x), out=x)
    d = 1.0 + e
    np.copyto(e, 1.0, where=upper)  # the numerator: 1 where x >= 0, e elsewhere
    e /= d
    return e


def sigmoid_halves(x: Array) -> tuple[Array, Array]:
    """sigmoid(|x|) and sigmoid(-|x|), from one exp: sigmoid(x) is the first where x >= 0."""
    e = np.exp(-np.abs(x))
    d = 1.0 + e
    return 1.0 / d, e / d


def sigmoid_grad(x: ArrayLike) -> Array:
    """Derivative of the sigmoid with respect to its input x."""
    # s(x) * s(-x) equals s(x) * (1 - s(x)) but keeps its digits where 1 - s(x) would cancel.
    return sigmoid(x) * sigmoid(-np.asarray(x, dtype=np.float64))


def softmax(x: ArrayLike) -> Array:
    """Softmax of a vector, or of each row of a matrix, shifted by the max so it never overflows."""
    return softmax_inplace(np.array(x, dtype=np.float64))


def softmax_inplace(x: Array) -> Array:
    """softmax(x) written over x (a float64 array of at least one dimension), which is returned."""
    # np.max and np.sum's reductions, called directly (the same loops, less dispatch).
    x -= np.maximum.reduce(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= np.add.reduce(x, axis=-1, keepdims=True)
    return x


def labels_of(t: ArrayLike, y: Array) -> NDArray[np.intp]:
    """Class codes 0..K-1 of t, which holds one-hot rows or codes already, checked against y."""
    t = np.asarray(t)
    if t.shape == y.shape:
        return np.argmax(t, axis=-1).astype(np.intp)
    if t.shape != y.shape[:-1] or t.dtype.kind not in "iu":
        raise ValueError(f"t must be one-hot of shape {y.shape} or integer labels of shape "
                         f"{y.shape[:-1]}, got {t.dtype} {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= y.shape[-1]):
        raise ValueError(f"labels must lie in 0..{y.shape[-1] - 1}, got {t.min()}..{t.max()}")
    return t.astype(np.intp)


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Mean over the batch of -log(y[true class] + 1e-7); t one-hot or class codes."""
    y = np.asarray(y, dtype=np.float64)
    labels = labels_of(t, y)
    y2 = y.reshape(-1, y.shape[-1])
    picked = y2[np.arange(y2.shape[0]), labels.reshape(-1)]
    return float(-np.sum(np.log(picked + CE_DELTA)) / y2.shape[0])


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """Half the sum of squared differences, as the book defines it."""
    return float(0.5 * np.sum((np.asarray(y, dtype=np.float64) - np.asarray(t)) ** 2))
