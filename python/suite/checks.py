"""Argument checks shared by the public functions: each failure is an InputError naming the argument."""

import math
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.suite.errors import InputError, InputTypeError

Array = NDArray[np.float64]
NUMERIC_KINDS = "iuf"  # integers and floats; booleans, complex, strings and objects are refused


def describe(x: object) -> str:
    """A short description of a value for an error message: dtype and shape, or the type."""
    if isinstance(x, np.ndarray):
        kind = {"U": "string", "S": "bytes", "b": "bool", "O": "object"}.get(x.dtype.kind, str(x.dtype))
        return f"{kind} array of shape {x.shape}"
    return type(x).__name__


def as_array(x: ArrayLike, name: str) -> np.ndarray:
    """np.asarray(x), its dtype kept; ragged nested lists are an InputTypeError, not numpy's ValueError."""
    try:
        return np.asarray(x)
    except ValueError as err:
        raise InputTypeError(f"{name} must be a numeric array, got {describe(x)} ({err})") from None


def numeric_array(x: ArrayLike, name: str) -> Array:
    """x as a float64 array, refusing non-numeric input (strings, booleans, objects, ragged lists)."""
    arr = as_array(x, name)
    if arr.dtype.kind not in NUMERIC_KINDS:
        raise InputTypeError(f"{name} must be numeric, got {describe(arr)}")
    return np.asarray(arr, dtype=np.float64)


def require_ndim(x: np.ndarray, name: str) -> None:
    """Refuse an array that is not a vector or a matrix (e.g. a 3-D batch)."""
    if x.ndim not in (1, 2):
        raise InputError(f"{name} must have 1 or 2 dimensions, got {x.ndim} (shape {x.shape})")


def require_all_finite(x: np.ndarray, name: str) -> None:
    """Refuse NaN and infinities."""
    if not np.isfinite(x).all():
        raise InputError(f"{name} contains NaN or infinite values")


def real_scalar(value: object) -> float | None:
    """value as a float if it is one real number (Python, numpy scalar or 0-d array), else None."""
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0:
        return None
    if isinstance(value, np.ndarray | np.generic):
        return float(value) if value.dtype.kind in NUMERIC_KINDS else None
    return float(value) if isinstance(value, Real) else None


def require_positive(value: object, name: str) -> float:
    """A finite real number > 0 (a learning rate), as a float."""
    number = real_scalar(value)
    if number is None or not math.isfinite(number) or number <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def require_count(value: object, name: str, minimum: int = 1) -> int:
    """A whole number >= minimum (a size or a number of steps), as an int."""
    number = real_scalar(value)
    if number is None or not math.isfinite(number) or not number.is_integer() or number < minimum:
        raise InputError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(number)


def require_float(x: np.ndarray, name: str = "x") -> None:
    """Refuse a non-float64 array: x + h on integers silently truncates to a wrong gradient."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise InputTypeError(f"{name} must be a float64 array (x + h on integers truncates), got {kind}")


def labels_of(t: ArrayLike, y: np.ndarray) -> NDArray[np.intp]:
    """Class codes 0..K-1 of t, which holds one-hot rows or integer codes, checked against y's shape."""
    t = as_array(t, "t")
    if t.dtype.kind not in NUMERIC_KINDS:
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
