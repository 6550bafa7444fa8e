"""Activation and loss functions (the book's common/functions.py), exact over all float64."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.suite.checks import numeric_array
from python.suite.function_checks import check_logits, check_probabilities, check_same_shape

Array = NDArray[np.float64]

CE_DELTA = 1e-7  # the book's guard against log(0); it biases the loss by ~1e-7


def sigmoid(x: ArrayLike) -> Array:
    """Logistic function, within 2 ULP over all float64 (subnormal results included); NaN stays NaN."""
    x = numeric_array(x, "x")
    # exp(-|x|) never overflows; e / (1 + e) keeps the tiny results of x < 0 that 1 / (1 + exp(-x))
    # loses. The numerator is 1 where x >= 0, e elsewhere (and NaN for NaN).
    e = np.exp(-np.abs(x))
    d = 1.0 + e
    d_lost = (1.0 - d) + e  # 1 + e = d + d_lost exactly (Fast2Sum: 1 >= e)
    # Where e lies just above a power of two, the roundings of 1 + e and of the division cost up to a whole
    # ULP of the result each (2.47 ULP measured with them): divide() takes both out, leaving exp's.
    q, q_lost = divide(np.where(x >= 0, 1.0, e), d, d_lost)
    return q + q_lost


def sigmoid_grad(x: ArrayLike) -> Array:
    """Derivative of the sigmoid with respect to its input x, within 3 ULP."""
    x = numeric_array(x, "x")
    # e / (1 + e)**2 equals s(x) * (1 - s(x)) but keeps its digits where 1 - s(x) would cancel. The
    # rounding of 1 + e is taken out as in sigmoid, to first order: e / (d + d_lost)**2 = g - 2 g d_lost / d.
    # s(x) * s(-x) measured 4.40 ULP, this 2.79 (with the division's residual as in sigmoid: 1.99, but 3%
    # more time per training step in Python, 12% in R).
    e = np.exp(-np.abs(x))
    d = 1.0 + e
    d_lost = (1.0 - d) + e
    g = e / d / d
    return g - 2.0 * g * d_lost / d


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


# The exact-arithmetic steps of sigmoid's correction (error-free transformations, as in double-double
# libraries).


def divide(n: Array, d: Array, d_lost: Array) -> tuple[Array, Array]:
    """n / (d + d_lost) as q + q_lost: the float quotient, and what it lost to first order in d_lost."""
    q = n / d
    residual = (n - q * d) - product_error(q, d)  # n - q * d exactly (Sterbenz, then Dekker)
    return q, (residual - q * d_lost) / d


def product_error(a: Array, b: Array) -> Array:
    """a * b - fl(a * b) exactly (Dekker's product, without overflow for |a|, |b| <= 2)."""
    p = a * b
    a_hi, a_lo = veltkamp_split(a)
    b_hi, b_lo = veltkamp_split(b)
    return ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def veltkamp_split(a: Array) -> tuple[Array, Array]:
    """a = hi + lo exactly, each half with at most 26 significant bits, so their products are exact."""
    scaled = 134217729.0 * a  # Veltkamp: two to the 27th, plus one
    hi = scaled - (scaled - a)
    return hi, a - hi
