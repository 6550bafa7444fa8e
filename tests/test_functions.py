"""Properties and error handling of functions.py beyond the fixture cases."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from python.functions import cross_entropy_error, mean_squared_error, sigmoid, sigmoid_grad, softmax

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(arrays(np.float64, st.integers(1, 50), elements=finite))
def test_sigmoid_no_warning_no_nan_in_range(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(x)
        g = sigmoid_grad(x)
    assert np.all((y >= 0) & (y <= 1)) and not np.isnan(g).any()
    assert np.all(np.diff(sigmoid(np.sort(x))) >= 0)


def test_sigmoid_subnormal_values_from_the_issue():
    assert sigmoid(np.array(-720.0)) == 2.0322308024e-313
    assert sigmoid(np.array([-745.0, -1e308, 1e308])).tolist() == [5e-324, 0.0, 1.0]


@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 12)),
              elements=st.floats(-1e4, 1e4)))
def test_softmax_rows_sum_to_one(x):
    y = softmax(x)
    assert np.all(np.abs(y.sum(axis=1) - 1) <= x.shape[1] * np.finfo(float).eps)
    order = np.argsort(x, axis=1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(y, order, axis=1), axis=1) >= 0)  # monotone in x


def test_softmax_large_logits_no_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax(np.array([1000.0, -1000.0])).tolist() == [1.0, 0.0]


def test_cross_entropy_label_and_onehot_agree():
    y = softmax(np.random.default_rng(1).normal(size=(7, 5)))
    t = np.array([0, 4, 1, 2, 3, 3, 0])
    assert cross_entropy_error(y, t) == cross_entropy_error(y, np.eye(5)[t])


@pytest.mark.parametrize(("t", "message"), [
    (np.array([0, 5]), "0..4"), (np.array([-1, 0]), "0..4"), (np.array([0, 1, 2]), "shape"),
    (np.array([0.0, 1.0]), "integer labels"), (np.zeros((2, 3)), "one-hot")])
def test_cross_entropy_bad_targets(t, message):
    with pytest.raises(ValueError, match=message):
        cross_entropy_error(np.full((2, 5), 0.2), t)


def test_mean_squared_error_book_value():
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    assert abs(mean_squared_error(y, np.eye(10)[2]) - 0.0975) < 1e-16
