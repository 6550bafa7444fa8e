"""Numerical gradient by central differences, and gradient descent (the book's common/gradient.py)."""

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from python.suite.checks import require_count, require_positive
from python.suite.errors import InputError, InputTypeError

Array = NDArray[np.float64]

H = 1e-4  # the book's step: small enough for the truncation error, large enough for rounding


def require_float(x: np.ndarray, name: str = "x") -> None:
    """Refuse a non-float64 array: x + h on integers silently truncates to a wrong gradient."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise InputTypeError(f"{name} must be a float64 array (x + h on integers truncates), got {kind}")


def numerical_gradient(f: Callable[[Array], float], x: Array) -> Array:
    """Central-difference gradient of f at x, any shape; x is restored bit for bit, even if f raises."""
    if not callable(f):
        raise InputTypeError(f"f must be a function of x, got {type(f).__name__}")
    require_float(x)
    if not x.flags.writeable:
        raise InputError("x must be writable: it is perturbed in place and restored")
    if not np.isfinite(x).all():
        raise InputError("x contains NaN or infinite values")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        try:
            x[idx] = saved + H
            # numpy's overflow in f becomes the clear error below, not a warning from inside f.
            with np.errstate(over="ignore", invalid="ignore"):
                f_plus = scalar_of(f(x))
                x[idx] = saved - H
                f_minus = scalar_of(f(x))
        finally:
            x[idx] = saved
        if not (np.isfinite(f_plus) and np.isfinite(f_minus)):
            raise InputError(f"f is not finite at x{list(idx)} +- h: f = {f_plus!r}, {f_minus!r}")
        grad[idx] = (f_plus - f_minus) / (2 * H)
    return grad


def scalar_of(value: object) -> float:
    """f's value as a float, refusing anything but one real number."""
    if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "iuf":
        raise InputError(f"f must return one real number, got {value!r:.60}")
    return float(value)


def gradient_descent(f: Callable[[Array], float], init_x: Array, lr: float = 0.01,
                     step_num: int = 100) -> Array:
    """Take step_num steps of x -= lr * grad f(x) from init_x (left untouched); return the final x."""
    require_float(init_x, "init_x")
    lr = require_positive(lr, "lr")
    x = init_x.copy()
    for _ in range(require_count(step_num, "step_num", minimum=0)):
        x -= lr * numerical_gradient(f, x)
    return x
