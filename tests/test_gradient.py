"""numerical_gradient and gradient_descent: the book's traps, made errors."""

import numpy as np
import pytest

from python.gradient import gradient_descent, numerical_diff, numerical_gradient
from python.suite.errors import InputError, InputTypeError


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


def function_1(x):
    return 0.01 * x**2 + 0.1 * x


def test_numerical_diff_prints_the_books_values():
    # Book §4.3.2 and §4.3.3: the values it prints for function_1 at 5 and 10 and the partial
    # derivatives of function_2 at (3, 4).
    assert numerical_diff(function_1, 5) == 0.1999999999990898
    assert numerical_diff(function_1, 10) == 0.2999999999986347
    assert numerical_diff(lambda x0: x0 * x0 + 4.0**2.0, 3.0) == 6.00000000000378
    assert numerical_diff(lambda x1: 3.0**2.0 + x1 * x1, 4.0) == 7.999999999999119


@pytest.mark.parametrize(("f", "x", "error", "message"), [
    ("function_1", 5.0, InputTypeError, "f must be a function"),
    (function_1, np.array([5.0, 6.0]), InputTypeError, "x must be one real number"),
    (function_1, "5", InputTypeError, "x must be one real number"),
    (function_1, True, InputTypeError, "x must be one real number"),
    (function_1, np.nan, InputError, "x must be a finite number"),
    (function_1, -np.inf, InputError, "x must be a finite number"),
    (lambda x: np.array([x, x]), 5.0, InputError, "one real number"),
    (lambda x: np.exp(x), 709.7827, InputError, "f is not finite"),
])
def test_numerical_diff_bad_f_or_x(f, x, error, message):
    with pytest.raises(error, match=message):
        numerical_diff(f, x)


def test_gradient_descent_history_is_x_before_each_step():
    init = np.array([-3.0, 4.0])
    x, x_history = gradient_descent(function_2, init, lr=0.1, step_num=20, history=True)
    assert x_history.shape == (20, 2) and x_history[0].tolist() == [-3.0, 4.0]
    for before, after in zip(x_history, [*x_history[1:], x], strict=True):
        assert after.tolist() == (before - 0.1 * numerical_gradient(function_2, before.copy())).tolist()
    assert x.tolist() == gradient_descent(function_2, init, lr=0.1, step_num=20).tolist()
    assert init.tolist() == [-3.0, 4.0]


def test_gradient_descent_history_edges():
    x, x_history = gradient_descent(function_2, np.array([1.0, 2.0]), step_num=0, history=True)
    assert x.tolist() == [1.0, 2.0] and x_history.shape == (0, 2)
    # The book's result (ch04/gradient_method.py prints it to 9 digits).
    x = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=100)
    assert np.allclose(x, [-6.11110793e-10, 8.14814391e-10], rtol=1e-8, atol=0)
    with pytest.raises(InputError, match="history"):
        gradient_descent(function_2, np.array([1.0, 2.0]), history="yes")
