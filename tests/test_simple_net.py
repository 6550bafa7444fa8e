"""SimpleNet: the aliasing that the book's lambda relies on, and the argument checks."""

import numpy as np
import pytest

from python.gradient import numerical_gradient
from python.simple_net import SimpleNet
from python.suite.errors import InputError, InputTypeError

BOOK_W = np.array([[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]])
X, T = np.array([0.6, 0.9]), np.array([0, 0, 1])


def test_book_lambda_works_only_through_aliasing():
    net = SimpleNet(seed=1)
    net.W = BOOK_W.copy()
    right = numerical_gradient(lambda W: net.loss(X, T, W), net.W)
    aliased = numerical_gradient(lambda w: net.loss(X, T), net.W)
    np.testing.assert_array_equal(aliased, right)
    # On a copy of W the book's lambda sees no change at all: the gradient is silently zero.
    zeros = numerical_gradient(lambda w: net.loss(X, T), net.W.copy())
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))
    assert np.all(np.abs(right) > 0.1)


def test_seeded_weights_repeat_and_default_draws_differ():
    np.testing.assert_array_equal(SimpleNet(seed=3).W, SimpleNet(seed=3).W)
    assert SimpleNet().W.shape == (2, 3)


@pytest.mark.parametrize(("value", "error", "words"), [
    (np.zeros((3, 2)), InputError, "shape"), (np.zeros((2, 3), dtype=int), InputTypeError, "float64"),
    ([[0.0] * 3] * 2, InputTypeError, "float64"), (np.full((2, 3), np.nan), InputError, "NaN")])
def test_bad_weights(value, error, words):
    net = SimpleNet(seed=1)
    with pytest.raises(error, match=words):
        net.W = value
    with pytest.raises(error, match=words):
        net.loss(X, T, value)


def test_bad_x():
    net = SimpleNet(seed=1)
    with pytest.raises(InputError, match="2 features"):
        net.predict([1.0, 2.0, 3.0])
    with pytest.raises(InputTypeError, match="numeric"):
        net.loss(["a", "b"], T)
