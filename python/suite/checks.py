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


def numeric_array(x: ArrayLike, name: str, copy: bool = False) -> Array:
    """x as a float64 array, refusing non-numeric input (strings, booleans, objects, ragged lists)."""
    arr = as_array(x, name)
    if arr.dtype.kind not in NUMERIC_KINDS:
        raise InputTypeError(f"{name} must be numeric, got {describe(arr)}")
    return np.array(arr, dtype=np.float64) if copy else np.asarray(arr, dtype=np.float64)


def require_ndim(x: np.ndarray, name: str, allowed: tuple[int, ...] = (1, 2)) -> None:
    """Refuse an array whose number of dimensions is not allowed (e.g. a 3-D batch)."""
    if x.ndim not in allowed:
        raise InputError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                         f"got {x.ndim} (shape {x.shape})")


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


def labels_of(t: ArrayLike, y: np.ndarray) -> NDArray[np.intp]:
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


def check_net_sizes(input_size: object, hidden_size: object, output_size: object,
                    weight_init_std: object) -> tuple[int, int, int]:
    """TwoLayerNet's layer widths (whole numbers >= 1), after checking weight_init_std (finite, >= 0)."""
    sizes = (require_count(input_size, "input_size"), require_count(hidden_size, "hidden_size"),
             require_count(output_size, "output_size"))
    if real_scalar(weight_init_std) is None or not 0 <= weight_init_std < np.inf:
        raise InputError(f"weight_init_std must be a finite number >= 0, got {weight_init_std!r}")
    return sizes


def check_params(new: object, shapes: dict[str, tuple[int, ...]]) -> dict[str, Array]:
    """new, a dict with the keys of shapes, each a float64 array of that shape (in shapes' key order)."""
    if not isinstance(new, dict) or sorted(new) != sorted(shapes):
        got = tuple(new) if isinstance(new, dict) else type(new).__name__
        raise InputError(f"params must be a dict with keys {tuple(shapes)}, got {got}")
    checked = {}
    for key, shape in shapes.items():
        try:
            value = np.asarray(new[key])
        except ValueError:  # a ragged nested list
            raise InputTypeError(f"params['{key}'] must be a float64 (double) array") from None
        if value.dtype != np.float64:
            raise InputTypeError(f"params['{key}'] must be float64 (double), got {value.dtype}")
        if value.shape != shape:
            raise InputError(f"params['{key}'] must have shape {shape}, got {value.shape}")
        checked[key] = value
    return checked


def check_input(x: ArrayLike, params: object, shapes: dict[str, tuple[int, ...]]) -> Array:
    """The net's x, after its params: a finite float64 sample or batch of rows of input_size columns."""
    check_params(params, shapes)
    x = numeric_array(x, "x")
    require_ndim(x, "x")
    if x.shape[-1] != shapes["W1"][0]:
        raise InputError(f"x must have {shapes['W1'][0]} columns, got shape {x.shape}")
    if x.size == 0:
        raise InputError(f"x is an empty batch (shape {x.shape})")
    require_all_finite(x, "x")
    return x


def check_batch(x: ArrayLike, t: ArrayLike, params: object, shapes: dict[str, tuple[int, ...]],
                method: str = "series") -> tuple[Array, NDArray[np.intp]]:
    """The net's x as a batch of rows (a sample is one row) and t as their class codes; method checked."""
    x = check_input(x, params, shapes)
    if method not in ("series", "plain"):
        raise InputError(f"method must be 'series' or 'plain', got {method!r}")
    t = labels_of(t, np.broadcast_to(0.0, (*x.shape[:-1], shapes["W2"][1])))
    return x.reshape(-1, x.shape[-1]), t.reshape(-1)
