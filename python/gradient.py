"""Numerical differentiation and gradient descent (the book's ch04/gradient_1d.py, common/gradient.py)."""

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from python.suite.errors import InputError
from python.suite.function_checks import check_descent, check_function_at, check_function_of_number

Array = NDArray[np.float64]

H = 1e-4  # the book's step: small enough for the truncation error, large enough for rounding


def numerical_diff(f: Callable[[float], float], x: float) -> float:
    """The central difference (f(x + h) - f(x - h)) / 2h of a function of one number, at x (book §4.3)."""
    f, x = check_function_of_number(f, x)  # f's values: finite real numbers
    return (f(x + H) - f(x - H)) / (2 * H)


@np.errstate(over="ignore", invalid="ignore")  # a difference beyond float64 is Inf, without a warning
def numerical_gradient(f: Callable[[Array], float], x: Array) -> Array:
    """Central-difference gradient of f at x, any shape; x is restored bit for bit, even if f raises."""
    f = check_function_at(f, x)  # f's values: one real number each
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        try:
            x[idx] = tmp_val + H
            fxh1 = f(x)  # f at x + h
            x[idx] = tmp_val - H
            fxh2 = f(x)  # f at x - h
        finally:
            x[idx] = tmp_val  # restore the value
        if not (np.isfinite(fxh1) and np.isfinite(fxh2)):
            raise InputError(f"f is not finite at x{list(idx)} +- h: f = {fxh1!r}, {fxh2!r}")
        grad[idx] = (fxh1 - fxh2) / (2 * H)
    return grad


def gradient_descent(f: Callable[[Array], float], init_x: Array, lr: float = 0.01, step_num: int = 100,
                     history: bool = False) -> Array | tuple[Array, Array]:
    """step_num steps x -= lr * grad f(x) from init_x (left untouched): x, or (x, x_history) with history.

    x_history has step_num rows: x before each step, starting with init_x (ch04/gradient_method.py).
    """
    lr, step_num = check_descent(init_x, lr, step_num, history)
    x = init_x.copy()
    x_history = []
    for _ in range(step_num):
        x_history.append(x.copy())
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return (x, np.array(x_history).reshape(step_num, *x.shape)) if history else x
