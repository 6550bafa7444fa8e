"""Properties of TwoLayerNet over generated sizes, inputs and parameters: construction, predict, loss and
accuracy, the gradients, the params setter (tests/properties_helpers.py).
"""

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures import oracle as o
from python.suite.errors import InputError, InputTypeError, NumericalError
from python.suite.tolerance import EPS, compare
from python.two_layer_net import PARAM_KEYS, TwoLayerNet
from tests.properties_helpers import (
    POLICY,
    PROFILE,
    REFUSED,
    SEEDS,
    SLOW,
    as_numeric,
    attempt,
    count_problem,
    counts_file,
    exact_net,
    finite,
    float_arrays,
    labels_from,
    mostly,
    net_calls,
    net_problems,
    overflow,
    positive_problem,
    same_bits,
    seed_problem,
    within,
    x_problems,
)

SIZES = mostly(st.one_of(st.integers(1, 4), st.sampled_from([2.0, np.int64(2)])),
               st.sampled_from([0, -1, 2.5, True, "3", None]), share=6)


STDS = mostly(st.sampled_from([0.0, 0.01, 1.0, 10.0]), st.sampled_from([-0.01, np.nan, np.inf, "0.1", None]))


@PROFILE
@given(SIZES, SIZES, SIZES, STDS, st.one_of(st.none(), SEEDS))
def test_two_layer_net_init(n_in, n_hidden, n_out, std, seed):
    problems = set()
    if any(count_problem(n, 1) for n in (n_in, n_hidden, n_out)) or (positive_problem(std) and std != 0.0) \
            or (seed is not None and seed_problem(seed)):
        problems.add(InputError)

    def check(net):
        shapes = {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, n_out), "b2": (n_out,)}
        assert {k: v.shape for k, v in net.params.items()} == shapes
        assert all(v.dtype == np.float64 and np.isfinite(v).all() for v in net.params.values())
        assert not net.params["b1"].any() and not net.params["b2"].any()
        if seed is not None:
            again = TwoLayerNet(n_in, n_hidden, n_out, std, seed).params
            assert all(same_bits(again[k], v) for k, v in net.params.items()), "seeded: deterministic"
    attempt("TwoLayerNet", lambda: TwoLayerNet(n_in, n_hidden, n_out, std, seed), problems, check)


@PROFILE
@given(net_calls())
def test_predict(call):
    net, x, _, _ = call

    def check(y):
        assert y.shape == (*np.shape(x)[:-1], net.shapes["W2"][1]) and np.isfinite(y).all()
        y2 = np.atleast_2d(y)
        assert (np.abs(y2.sum(axis=1) - 1) <= y2.shape[1] * EPS).all(), "rows sum to 1"
        fw, scales, _ = exact_net(net, x)
        within(y2, o.round_array(fw["y"], y2.shape), "network", scales["y"])
    attempt("TwoLayerNet.predict", lambda: net.predict(x), x_problems(net, x), check, overflow(x))


@PROFILE
@given(net_calls())
def test_loss_and_accuracy(call):
    net, x, t, _ = call
    problems = net_problems(net, x, t)

    def check_loss(loss):
        assert isinstance(loss, float) and np.isfinite(loss) and loss >= -1e-7
        fw, scales, labels = exact_net(net, x, t)
        within(loss, o.to_f64(o.cross_entropy(fw["y"], labels)), "network", scales["loss"])
        onehot = np.eye(net.shapes["W2"][1])[labels].reshape((*np.shape(x)[:-1], -1))
        codes = labels.reshape(np.shape(x)[:-1])
        assert net.loss(x, onehot) == loss == net.loss(x, codes), "one-hot = labels"

    def check_accuracy(acc):
        labels = labels_from(t, net.predict(x))
        hits = np.argmax(np.atleast_2d(net.predict(x)), axis=1) == labels
        assert acc == np.sum(hits) / hits.size and 0 <= acc <= 1  # the exact class: count / n
    attempt("TwoLayerNet.loss", lambda: net.loss(x, t), problems, check_loss, overflow(x))
    attempt("TwoLayerNet.accuracy", lambda: net.accuracy(x, t), problems, check_accuracy, overflow(x))


@PROFILE
@given(net_calls())
def test_gradient(call):
    net, x, t, _ = call

    def check(grads):
        assert {k: v.shape for k, v in grads.items()} == net.shapes
        assert all(np.isfinite(v).all() for v in grads.values())
        x2 = np.atleast_2d(as_numeric(x))
        if np.abs(x2 @ net.params["W1"] + net.params["b1"]).max() > 30:
            # Known gap (see the issue note): error_bounds.network_scales underestimates how the rounding
            # of a1 carries into sigmoid'(a1) = exp(-|a1|)-sized terms once |a1| > 30 (ratio 2.4 seen at
            # a1 ~ 115, the gradient still right to 12.8 digits); shapes and finiteness are checked above.
            return
        _, scales, labels = exact_net(net, x, t)
        exact = o.backprop(net.params, x2, labels)
        expected = {k: o.round_array(exact[k], net.shapes[k]) for k in PARAM_KEYS}
        verdict = compare(grads, expected, POLICY["network"], scales["grads"])
        assert verdict.passed, verdict.where
    attempt("TwoLayerNet.gradient", lambda: net.gradient(x, t), net_problems(net, x, t), check, overflow(x))


@SLOW
@given(net_calls(), st.sampled_from(["series", "plain", "series", "Series", None, 3]))
def test_net_numerical_gradient(call, method):
    net, x, t, _ = call
    problems = x_problems(net, x) or ({InputError} if method not in ("series", "plain") else
                                      net_problems(net, x, t))

    def check(grads):
        assert {k: v.shape for k, v in grads.items()} == net.shapes
        assert all(np.isfinite(v).all() for v in grads.values())
        xf = np.atleast_2d(as_numeric(x))
        picked = np.atleast_2d(net.predict(x))[np.arange(len(xf)), labels_from(t, net.predict(x))]
        if np.abs(xf).max() <= 10 and picked.min() >= 1e-3 and np.abs(net.params["W1"]).max() <= 5:
            # A sanity bound, not the policy (fixtures hold that): the 1e-7 guard moves the gradient by
            # 1e-7 / picked relative, the central difference by h^2 times the third derivative.
            backprop = net.gradient(x, t)
            for k, g in grads.items():
                assert (np.abs(g - backprop[k]) <= 1e-4 * (1 + np.abs(backprop[k]).max())).all(), k
    attempt("TwoLayerNet.numerical_gradient", lambda: net.numerical_gradient(x, t, method), problems, check,
            overflow(x))


@st.composite
def new_params(draw: st.DrawFn) -> tuple[TwoLayerNet, Any]:
    """A net and a replacement: valid (NaN weights included), or a key, shape or dtype off, or not a dict."""
    net = TwoLayerNet(*(draw(st.integers(1, 4)) for _ in range(3)), seed=draw(st.integers(0, 99)))
    new = {k: draw(float_arrays(s, st.one_of(finite(1e3), st.just(np.nan)))) for k, s in net.shapes.items()}
    change = draw(st.integers(0, 6))
    key = draw(st.sampled_from(PARAM_KEYS))
    if change == 1:
        new.pop(key)
    elif change == 2:
        new["W3"] = np.zeros(1)
    elif change == 3:
        new[key] = np.zeros(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
    elif change == 4:
        dtype = draw(st.sampled_from([np.float32, np.int64, np.bool_, "<U1", object]))
        new[key] = np.ones(net.shapes[key], dtype)
    elif change == 5:
        new = draw(st.sampled_from([None, [1.0], "params", (("W1", 1),)]))
    return net, new


@PROFILE
@given(new_params())
def test_params_setter(call):
    net, new = call
    problems = set()
    if not isinstance(new, dict) or sorted(new) != sorted(PARAM_KEYS):
        problems.add(InputError)
    else:  # checked key by key: a wrong dtype is an InputTypeError, a wrong shape an InputError
        if any(np.asarray(v).dtype != np.float64 for v in new.values()):
            problems.add(InputTypeError)
        if any(np.shape(new[k]) != s for k, s in net.shapes.items()):
            problems.add(InputError)
    old = {k: v.copy() for k, v in net.params.items()}

    def assign():
        net.params = new

    def check(_):
        assert all(same_bits(net.params[k], new[k]) for k in PARAM_KEYS)
        weights_finite = all(np.isfinite(v).all() for v in new.values())
        x = np.zeros(net.shapes["W1"][0]) + 0.5
        try:
            assert np.isfinite(net.loss(x, 0))
        except NumericalError:  # NaN predictions: only non-finite weights can cause them here
            assert not weights_finite
    if attempt("TwoLayerNet.params", assign, problems, check) is REFUSED:
        assert all(same_bits(net.params[k], old[k]) for k in PARAM_KEYS), "a refused value loses nothing"


write_counts = counts_file("net")
