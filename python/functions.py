"""Activation and loss functions (the book's common/functions.py, made exact-safe)."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.suite.checks import as_array, numeric_array, require_all_finite, require_ndim
from python.suite.errors import InputError, InputTypeError

Array = NDArray[np.float64]

CE_DELTA = 1e-7  # the book's guard against log(0); it biases the loss by ~1e-7


def sigmoid(x: ArrayLike) -> Array:
    """Logistic function, accurate to 2 ULP over all float64 (subnormal results included); NaN stays NaN."""
    return sigmoid_inplace(numeric_array(x, "x", copy=True))


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
    x = numeric_array(x, "x")
    return sigmoid(x) * sigmoid(-x)


def softmax(x: ArrayLike) -> Array:
    """Softmax of a vector, or of each row of a matrix, shifted by the max so it never overflows."""
    x = numeric_array(x, "x", copy=True)
    require_ndim(x, "x")
    if x.shape[-1] == 0:
        raise InputError(f"x must have at least one class (column), got shape {x.shape}")
    # +Inf - +Inf: a NaN row, documented; finite logits more than 1.8e308 below the max: x - max
    # overflows to -Inf, whose exp is the right 0. Neither warns.
    with np.errstate(invalid="ignore", over="ignore"):
        return softmax_inplace(x)


def softmax_inplace(x: Array) -> Array:
    """softmax(x) written over x (a float64 array of at least one dimension), which is returned."""
    # np.max and np.sum's reductions, called directly (the same loops, less dispatch).
    x -= np.maximum.reduce(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= np.add.reduce(x, axis=-1, keepdims=True)
    return x


def labels_of(t: ArrayLike, y: Array) -> NDArray[np.intp]:
    """Class codes 0..K-1 of t, which holds one-hot rows or integer codes, checked against y's shape."""
    t = as_array(t, "t")
    if t.dtype.kind not in "iuf":
        raise InputTypeError(f"t must be integer labels or one-hot rows, got {t.dtype} {t.shape}")
    if t.shape == y.shape:
        require_one_hot(t)
        return np.argmax(t, axis=-1).astype(np.intp)
    if t.shape != y.shape[:-1] or t.dtype.kind not in "iu":
        raise InputError(f"t must be one-hot of shape {y.shape} or integer labels of shape "
                         f"{y.shape[:-1]}, got {t.dtype} {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= y.shape[-1]):
        raise InputError(f"labels t must lie in 0..{y.shape[-1] - 1}, got {t.min()}..{t.max()}")
    return t.astype(np.intp)


def require_one_hot(t: np.ndarray) -> None:
    """Refuse a t of y's shape whose rows are not one 1 among 0s (argmax would pick a class anyway)."""
    ones = t == 1
    if not (ones | (t == 0)).all() or not (np.count_nonzero(ones, axis=-1) == 1).all():
        raise InputError("t has the shape of y, so each row must be one-hot (a single 1, zeros "
                         "elsewhere); pass integer labels otherwise")


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Mean over the batch of -log(y[true class] + 1e-7); t one-hot or class codes."""
    y = numeric_array(y, "y")
    require_ndim(y, "y")
    if y.size == 0:
        raise InputError(f"y must hold at least one row and one class, got shape {y.shape}")
    require_all_finite(y, "y")
    if (y < 0).any():
        raise InputError("y must hold probabilities (>= 0); got a negative value")
    return cross_entropy_of_labels(y, labels_of(t, y))


def cross_entropy_of_labels(y: Array, labels: NDArray[np.intp]) -> float:
    """cross_entropy_error for checked labels; NaN in y (diverged weights) gives NaN."""
    y2 = y.reshape(-1, y.shape[-1])
    picked = y2[np.arange(y2.shape[0]), labels.reshape(-1)]
    return float(-np.sum(np.log(picked + CE_DELTA)) / y2.shape[0])


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """Half the sum of squared differences, as the book defines it."""
    y, t = numeric_array(y, "y"), numeric_array(t, "t")
    if y.shape != t.shape:
        raise InputError(f"y and t must have the same shape, got {y.shape} and {t.shape}")
    require_all_finite(y, "y")
    require_all_finite(t, "t")
    with np.errstate(over="ignore"):  # |y - t| > 1.3e154: the square rounds to Inf, as in R, no warning
        return float(0.5 * np.sum((y - t) ** 2))
