"""The book's simpleNet (ch04/gradient_simplenet.py): x (2 inputs) -> x W -> softmax -> cross-entropy."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.functions import cross_entropy_error, softmax
from python.rng import Rng
from python.suite.checks import numeric_array, require_all_finite, require_float, require_ndim
from python.suite.errors import InputError

Array = NDArray[np.float64]
W_SHAPE = (2, 3)


class SimpleNet:
    """One 2x3 weight matrix W, the net whose loss gradient the book computes numerically (§4.4.2)."""

    def __init__(self, seed: int | None = None) -> None:
        """W from Rng(seed).normal (row-major) if seed is given, else from numpy's np.random.randn."""
        draw = np.random.standard_normal if seed is None else Rng(seed).normal
        self.W = draw(W_SHAPE[0] * W_SHAPE[1]).reshape(W_SHAPE)

    @property
    def W(self) -> Array:
        """The weights, a float64 array of shape (2, 3): the very array the loss reads."""
        return self._W

    @W.setter
    def W(self, new: Array) -> None:
        """Replace the weights, after checking dtype, shape and finiteness."""
        self._W = checked_w(new)

    def predict(self, x: ArrayLike) -> Array:
        """x W: one score per class, for one sample (2,) or a batch (n, 2)."""
        x = check_simple_input(x, self.W)
        return np.dot(x, self.W)

    def loss(self, x: ArrayLike, t: ArrayLike, W: Array | None = None) -> float:
        """Cross-entropy of softmax(x W); with W given, that array is used instead of self.W."""
        W = self.W if W is None else W
        x = check_simple_input(x, W)  # x: (2,) or (n, 2); W: float64 (2, 3); both finite
        z = np.dot(x, W)
        y = softmax(z)
        return cross_entropy_error(y, t)


def checked_w(w: Array) -> Array:
    """w itself (not a copy, so that in-place perturbation reaches the loss) if float64 (2, 3) and finite."""
    require_float(w, "W")
    if w.shape != W_SHAPE:
        raise InputError(f"W must have shape {W_SHAPE}, got {w.shape}")
    require_all_finite(w, "W")
    return w


def check_simple_input(x: ArrayLike, w: Array) -> Array:
    """x as float64, one sample (2,) or a batch (n, 2), finite, after checking the weights w."""
    checked_w(w)
    x = numeric_array(x, "x")
    require_ndim(x, "x")
    if x.shape[-1] != W_SHAPE[0]:
        raise InputError(f"x must have {W_SHAPE[0]} features (last axis), got shape {x.shape}")
    require_all_finite(x, "x")
    return x
