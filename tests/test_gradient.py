"""numerical_gradient and gradient_descent: the book's traps, made errors."""

import numpy as np
import pytest

from python.gradient import gradient_descent, numerical_gradient


def function_2(x):
    return float(np.sum(x**2))


def test_integer_array_is_an_error():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(function_2, np.array([3, 4]))
    with pytest.raises(TypeError, match="float64"):
        gradient_descent(function_2, np.array([3, 4]))


def test_x_restored_bit_for_bit_even_when_f_raises():
    x = np.array([[0.1, -0.0], [1e-300, 3.0]])
    before = x.tobytes()
    numerical_gradient(function_2, x)
    assert x.tobytes() == before
    calls = []

    def failing(v):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return function_2(v)

    with pytest.raises(RuntimeError):
        numerical_gradient(failing, x)
    assert x.tobytes() == before


def test_non_contiguous_view_is_perturbed_in_place():
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    view = base[:, ::2]
    g = numerical_gradient(function_2, view)
    assert np.allclose(g, 2 * view, atol=1e-6)


def test_gradient_descent_leaves_init_untouched():
    init = np.array([-3.0, 4.0])
    out = gradient_descent(function_2, init, lr=0.1, step_num=100)
    assert init.tolist() == [-3.0, 4.0]
    assert np.all(np.abs(out) < 1e-8)
