"""TwoLayerNet beyond the fixtures: seeding, params replacement, input checks, gradient check."""

import numpy as np
import pytest

from python.functions import softmax
from python.rng import Rng
from python.suite.errors import InputError, NumericalError
from python.two_layer_net import TwoLayerNet


@pytest.fixture
def net_and_batch():
    net = TwoLayerNet(6, 5, 4, weight_init_std=0.5, seed=3)
    rng = np.random.default_rng(0)
    return net, rng.random((8, 6)), rng.integers(0, 4, 8)


def test_seeded_weights_come_from_the_portable_stream():
    net = TwoLayerNet(3, 2, 2, weight_init_std=0.1, seed=9)
    z = Rng(9).normal(10)
    assert np.array_equal(net.params["W1"], 0.1 * z[:6].reshape(3, 2))
    assert np.array_equal(net.params["W2"], 0.1 * z[6:].reshape(2, 2))
    assert not net.params["b1"].any() and not net.params["b2"].any()


def test_params_replaced_as_a_whole_with_checks(net_and_batch):
    net, _, _ = net_and_batch
    new = {k: np.ones_like(v) for k, v in net.params.items()}
    net.params = new
    assert net.params["W2"].sum() == 20
    with pytest.raises(ValueError, match="W1"):
        net.params = {**new, "W1": np.ones((5, 6))}
    with pytest.raises(InputError):
        net.params = {"W1": new["W1"]}
    with pytest.raises(ValueError, match="float64"):
        net.params = {**new, "b1": np.ones(5, dtype=np.int64)}


def test_bad_inputs(net_and_batch):
    net, x, t = net_and_batch
    with pytest.raises(ValueError, match="6 columns"):
        net.predict(x[:, :5])
    x_nan = x.copy()
    x_nan[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.loss(x_nan, t)
    with pytest.raises(ValueError, match=r"0\.\.3"):
        net.gradient(x, np.full(8, 4))
    with pytest.raises(ValueError, match=r"0\.\.3"):
        net.accuracy(x, np.full(8, -1))


def test_backprop_matches_numerical_gradient(net_and_batch):
    # The book's ch05 gradient check; the 1e-7 guard in the loss and h^2 truncation bound the gap.
    net, x, t = net_and_batch
    bp, num = net.gradient(x, t), net.numerical_gradient(x, t)
    for key in bp:
        assert np.max(np.abs(bp[key] - num[key])) < 1e-6, key


def test_numerical_gradient_does_not_touch_params_or_rely_on_aliasing(net_and_batch):
    net, x, t = net_and_batch
    before = {k: v.copy() for k, v in net.params.items()}
    grads = net.numerical_gradient(x, t)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)
    assert all(np.abs(g).max() > 1e-6 for g in grads.values())  # the R trap gives all zeros


def test_accuracy_ties_go_to_first_index():
    net = TwoLayerNet(2, 2, 3, seed=0)
    net.params = {**net.params, "W2": np.zeros((2, 3))}
    x = np.ones((4, 2))
    assert net.accuracy(x, np.array([0, 0, 0, 1])) == 0.75


def test_single_sample_vector_input(net_and_batch):
    net, x, t = net_and_batch
    assert net.predict(x[0]).shape == (4,)
    assert net.loss(x[0], t[0]) == net.loss(x[:1], t[:1])


def test_x_at_w1_beyond_float64_is_refused_only_where_the_infinity_is_spurious():
    net = TwoLayerNet(2, 1, 2, seed=1)
    net.params = {"W1": np.array([[10.0], [10.0]]), "b1": np.zeros(1), "W2": np.array([[1.0, -1.0]]),
                  "b2": np.zeros(2)}
    # Exact x @ W1 = 0, but the float product is Inf - Inf: NaN or Inf depending on the BLAS kernel.
    with pytest.raises(NumericalError, match="overflows float64"):
        net.predict(np.array([1e308, -1e308]))
    # Exact x @ W1 = 2e309, beyond float64: sigmoid is 1 and the predictions are right.
    assert np.array_equal(net.predict(np.array([1e308, 1e308])), softmax(np.array([1.0, -1.0])))
