"""Argument checks of TwoLayerNet: one call at the top of each method."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.suite.checks import (
    as_array,
    labels_of,
    numeric_array,
    real_scalar,
    require_all_finite,
    require_count,
    require_ndim,
)
from python.suite.errors import InputError, InputTypeError

Array = NDArray[np.float64]


def check_net_sizes(input_size: object, hidden_size: object, output_size: object,
                    weight_init_std: object) -> tuple[int, int, int]:
    """TwoLayerNet's layer widths (whole numbers >= 1), after checking weight_init_std (finite, >= 0)."""
    sizes = (require_count(input_size, "input_size"), require_count(hidden_size, "hidden_size"),
             require_count(output_size, "output_size"))
    if real_scalar(weight_init_std) is None or not 0 <= weight_init_std < np.inf:
        raise InputError(f"weight_init_std must be a finite number >= 0, got {weight_init_std!r}")
    return sizes


def check_net_params(new: object, shapes: dict[str, tuple[int, ...]]) -> dict[str, Array]:
    """new, a dict with the keys of shapes, each a float64 array of that shape (in shapes' key order)."""
    if not isinstance(new, dict) or sorted(new) != sorted(shapes):
        got = tuple(new) if isinstance(new, dict) else type(new).__name__
        raise InputError(f"params must be a dict with keys {tuple(shapes)}, got {got}")
    checked = {}
    for key, shape in shapes.items():
        value = as_array(new[key], f"params['{key}']")
        if value.dtype != np.float64:
            raise InputTypeError(f"params['{key}'] must be float64 (double), got {value.dtype}")
        if value.shape != shape:
            raise InputError(f"params['{key}'] must have shape {shape}, got {value.shape}")
        checked[key] = value
    return checked


def check_input(x: ArrayLike, params: object, shapes: dict[str, tuple[int, ...]]) -> Array:
    """The net's x, after its params: a finite float64 sample or batch of rows of input_size columns."""
    check_net_params(params, shapes)
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
