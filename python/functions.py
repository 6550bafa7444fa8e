"""Activation and loss functions (the book's common/functions.py), exact over all float64."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.suite.checks import check_logits, check_probabilities, check_same_shape, numeric_array

Array = NDArray[np.float64]

CE_DELTA = 1e-7  # the book's guard against log(0); it biases the loss by ~1e-7


def sigmoid(x: ArrayLike) -> Array:
    """Logistic function, accurate to 2 ULP over all float64 (subnormal results included); NaN stays NaN."""
    x = numeric_array(x, "x")
    # exp(-|x|) never overflows; e / (1 + e) keeps the tiny results of x < 0 that 1 / (1 + exp(-x))
    # loses. The numerator is 1 where x >= 0, e elsewhere (and NaN for NaN).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(x: ArrayLike) -> Array:
    """Derivative of the sigmoid with respect to its input x."""
    x = numeric_array(x, "x")
    # s(x) * s(-x) equals s(x) * (1 - s(x)) but keeps its digits where 1 - s(x) would cancel.
    return sigmoid(x) * sigmoid(-x)


def softmax(x: ArrayLike) -> Array:
    """Softmax of a vector, or of each row of a matrix, shifted by the max so it never overflows."""
    x = check_logits(x)
    # +Inf - +Inf: a NaN row, documented; finite logits more than 1.8e308 below the max: x - max
    # overflows to -Inf, whose exp is the right 0. Neither warns.
    with np.errstate(invalid="ignore", over="ignore"):
        x = x - np.max(x, axis=-1, keepdims=True)
        y = np.exp(x)
        return y / np.sum(y, axis=-1, keepdims=True)


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Mean over the batch of -log(y[true class] + 1e-7); t one-hot or class codes."""
    y, t = check_probabilities(y, t)  # y as rows, t as their class codes
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), t] + CE_DELTA)) / batch_size)


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """Half the sum of squared differences, as the book defines it."""
    y, t = check_same_shape(y, t)
    with np.errstate(over="ignore"):  # |y - t| > 1.3e154: the square rounds to Inf, as in R, no warning
        return float(0.5 * np.sum((y - t) ** 2))
