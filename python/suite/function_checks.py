"""Argument checks of the book's functions, gradient and optimizer: one call at the top of each."""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.suite.checks import (
    NUMERIC_KINDS,
    describe,
    labels_of,
    numeric_array,
    real_scalar,
    require_all_finite,
    require_count,
    require_float,
    require_ndim,
    require_positive,
)
from python.suite.errors import InputError, InputTypeError

Array = NDArray[np.float64]


def check_logits(x: ArrayLike) -> Array:
    """softmax's x: a float64 vector or matrix with at least one class (column)."""
    x = numeric_array(x, "x")
    require_ndim(x, "x")
    if x.shape[-1] == 0:
        raise InputError(f"x must have at least one class (column), got shape {x.shape}")
    return x


def check_probabilities(y: ArrayLike, t: ArrayLike) -> tuple[Array, NDArray[np.intp]]:
    """cross_entropy_error's y and t: y as a batch of finite probability rows, t as its class codes."""
    y = numeric_array(y, "y")
    require_ndim(y, "y")
    if y.size == 0:
        raise InputError(f"y must hold at least one row and one class, got shape {y.shape}")
    require_all_finite(y, "y")
    if (y < 0).any():
        raise InputError("y must hold probabilities (>= 0); got a negative value")
    return y.reshape(-1, y.shape[-1]), labels_of(t, y).reshape(-1)


def check_same_shape(y: ArrayLike, t: ArrayLike) -> tuple[Array, Array]:
    """mean_squared_error's y and t: finite float64 arrays of the same shape."""
    y, t = numeric_array(y, "y"), numeric_array(t, "t")
    if y.shape != t.shape:
        raise InputError(f"y and t must have the same shape, got {y.shape} and {t.shape}")
    require_all_finite(y, "y")
    require_all_finite(t, "t")
    return y, t


def real_valued(f: object, finite: bool = False) -> Callable[[Any], float]:
    """f, refused unless callable, wrapped so that each value is one real number (finite if asked)."""
    if not callable(f):
        raise InputTypeError(f"f must be a function of x, got {type(f).__name__}")

    def value_of(x: Any) -> float:
        # numpy's overflow in f becomes a clear error about f's value, not a warning from inside f.
        with np.errstate(over="ignore", invalid="ignore"):
            value = f(x)
        if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in NUMERIC_KINDS:
            raise InputError(f"f must return one real number, got {value!r:.60}")
        if finite and not math.isfinite(value):
            raise InputError(f"f is not finite at x = {x!r}: f = {value!r}")
        return float(value)
    return value_of


def check_function_at(f: object, x: object) -> Callable[[Array], float]:
    """numerical_gradient's f (see real_valued) and x: a writable, finite float64 array."""
    f = real_valued(f)
    require_float(x)
    if not x.flags.writeable:
        raise InputError("x must be writable: it is perturbed in place and restored")
    require_all_finite(x, "x")
    return f


def check_function_of_number(f: object, x: object) -> tuple[Callable[[float], float], float]:
    """numerical_diff's f (see real_valued; finite values) and x: one finite real number, as a float."""
    f = real_valued(f, finite=True)
    number = real_scalar(x)
    if number is None:
        raise InputTypeError(f"x must be one real number, got {describe(x)}")
    if not math.isfinite(number):
        raise InputError(f"x must be a finite number, got {x!r}")
    return f, number


def check_descent(init_x: object, lr: object, step_num: object, history: object) -> tuple[float, int]:
    """gradient_descent's init_x (float64), lr (> 0) and step_num (>= 0), and history (a bool)."""
    require_float(init_x, "init_x")
    lr = require_positive(lr, "lr")
    step_num = require_count(step_num, "step_num", minimum=0)
    if not isinstance(history, bool | np.bool_):
        raise InputError(f"history must be True or False, got {history!r}")
    return lr, step_num


def check_sgd(params: object, grads: object, lr: object) -> float:
    """sgd_update's lr (> 0, as a float), after params and grads: same keys, numeric, same shapes."""
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
    return lr


def describe_keys(value: object) -> str:
    """The sorted keys of a dict, or the type of anything else, for an error message."""
    return str(sorted(map(str, value))) if isinstance(value, dict) else type(value).__name__
