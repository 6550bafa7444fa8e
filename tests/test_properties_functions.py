"""Properties of the functions of chapter 4 over generated inputs: sigmoid, sigmoid_grad, softmax, the two
losses, numerical_gradient, gradient_descent, sgd_update and the random generator
(tests/properties_helpers.py).
"""

import contextlib
from typing import Any

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures import error_bounds as eb
from fixtures import oracle as o
from python.functions import cross_entropy_error, mean_squared_error, sigmoid, sigmoid_grad, softmax
from python.gradient import H, gradient_descent, numerical_gradient
from python.optimizer import sgd_update
from python.rng import Rng
from python.suite.errors import InputError, InputTypeError
from python.suite.tolerance import EPS, ulp
from tests.properties_helpers import (
    ANY_FLOAT,
    ANY_INPUT,
    F2,
    NOT_FLOAT,
    POLICY,
    PROFILE,
    SEEDS,
    as_numeric,
    attempt,
    count_problem,
    counts_file,
    exact_map,
    finite,
    float_arrays,
    label_problems,
    labels_from,
    mostly,
    positive_problem,
    same_bits,
    seed_problem,
    softmax_problems,
    within,
    y_and_t,
    y_and_t_same_shape,
)


def elementwise_problems(x: Any) -> set[type]:
    """sigmoid and sigmoid_grad take any numeric array (any rank, empty, NaN); other types are refused."""
    return {InputTypeError} if as_numeric(x) is None else set()


@PROFILE
@given(ANY_INPUT)
def test_sigmoid(x):
    def check(y):
        xf = as_numeric(x)
        assert y.shape == xf.shape and y.dtype == np.float64
        within(y, exact_map(o.sigmoid, xf), "elementwise")
        nan = np.isnan(xf)
        assert (np.isnan(y) == nan).all(), "NaN out only where NaN in"
        assert ((y[~nan] >= 0) & (y[~nan] <= 1)).all()
        assert (np.diff(y[~nan][np.argsort(xf[~nan], kind="stable")]) >= 0).all(), "monotone"
        mirror = sigmoid(-xf)  # s(-x) = 1 - s(x): each within max_ulp, 1 - s rounds by eps/4 at most
        bound = POLICY["elementwise"]["max_ulp"] * (ulp(y) + ulp(mirror)) + EPS / 2
        assert (np.abs(y - (1 - mirror))[~nan] <= bound[~nan]).all()
    attempt("sigmoid", lambda: sigmoid(x), elementwise_problems(x), check)


@PROFILE
@given(ANY_INPUT)
def test_sigmoid_grad(x):
    def check(g):
        xf = as_numeric(x)
        assert g.shape == xf.shape and g.dtype == np.float64
        within(g, exact_map(lambda v: o.sigmoid(v) * o.sigmoid(-v), xf), "elementwise_product")
        assert (np.isnan(g) == np.isnan(xf)).all(), "NaN out only where NaN in"
        assert ((g[~np.isnan(g)] >= 0) & (g[~np.isnan(g)] <= 0.25)).all()
        assert same_bits(sigmoid_grad(-xf), g), "even function"
    attempt("sigmoid_grad", lambda: sigmoid_grad(x), elementwise_problems(x), check)


def check_softmax(x: np.ndarray, y: np.ndarray) -> None:
    """Shape, NaN rows exactly where documented, sums, the exact value within the softmax class."""
    assert y.shape == x.shape and y.dtype == np.float64
    rows, yr = np.atleast_2d(x), np.atleast_2d(y)
    row_max = rows.max(axis=1, initial=-np.inf) if rows.size else np.zeros(len(rows))
    # Documented (fixture nonfinite/rows): a NaN or +Inf in a row gives a NaN row (IEEE Inf - Inf), as
    # does a row of -Inf only; -Inf elsewhere gives 0.
    nan_rows = np.isnan(rows).any(axis=1) | np.isinf(row_max)
    assert np.isnan(yr[nan_rows]).all() and not np.isnan(yr[~nan_rows]).any()
    ok, n = rows[~nan_rows], rows.shape[1]
    assert (np.abs(yr[~nan_rows].sum(axis=1) - 1) <= n * EPS).all(), "rows sum to 1"
    if ok.size:
        exact = o.round_array([o.softmax_row([mp.mpf(float(v)) for v in r]) for r in ok], ok.shape)
        # The bound's scale from stand-ins: logits far below the max (or -Inf) contribute exact zeros.
        stand_in = np.maximum(ok, ok.max(axis=1, keepdims=True) - 1e4)
        within(yr[~nan_rows], exact, "softmax", eb.softmax_scale(stand_in))


@PROFILE
@given(mostly(float_arrays(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)), ANY_INPUT))
def test_softmax(x):
    attempt("softmax", lambda: softmax(x), softmax_problems(x), lambda y: check_softmax(as_numeric(x), y))


@PROFILE
@given(float_arrays(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), finite(1e300)),
       st.floats(-1e3, 1e3))
def test_softmax_shift_invariant(x, c):
    y = attempt("softmax", lambda: softmax(x), set())
    shifted = attempt("softmax", lambda: softmax(x + c), set())
    # Within the softmax class of the exact softmax(x), the scale widened by the rounding of x + c
    # (each difference x_i - max moves by up to eps * max|x + c|, carried to y_i and the row sum).
    rows = np.atleast_2d(x)
    exact = o.round_array([o.softmax_row([mp.mpf(float(v)) for v in r]) for r in rows], x.shape)
    reach = np.abs(np.atleast_2d(x + c)).max(axis=1, keepdims=True)
    scale = eb.softmax_scale(np.maximum(rows, rows.max(axis=1, keepdims=True) - 1e4)).reshape(rows.shape)
    within(shifted, exact, "softmax", (scale + 2 * reach * np.atleast_2d(y)).reshape(x.shape))


def cross_entropy_problems(y: Any, t: Any) -> set[type]:
    """y numeric, 1-D or 2-D, not empty, finite, >= 0; then t's contract."""
    yf = as_numeric(y)
    if yf is None:
        return {InputTypeError}
    if yf.ndim not in (1, 2) or yf.size == 0 or not np.isfinite(yf).all() or (yf < 0).any():
        return {InputError}
    return label_problems(t, yf)


@PROFILE
@given(y_and_t())
def test_cross_entropy_error(yt):
    y, t = yt

    def check(loss):
        yf = as_numeric(y)
        rows, labels = np.atleast_2d(yf), labels_from(t, yf)
        assert isinstance(loss, float) and np.isfinite(loss)
        picked = rows[np.arange(len(rows)), labels]
        exact = o.cross_entropy([[mp.mpf(float(v)) for v in r] for r in rows], labels)
        within(loss, o.to_f64(exact), "reduction", eb.cross_entropy_scale(picked))
        onehot = np.eye(yf.shape[-1])[labels].reshape(yf.shape)
        codes = labels.reshape(yf.shape[:-1])
        assert cross_entropy_error(yf, onehot) == loss == cross_entropy_error(yf, codes), "one-hot = labels"
    attempt("cross_entropy_error", lambda: cross_entropy_error(y, t), cross_entropy_problems(y, t), check)


def mse_problems(y: Any, t: Any) -> set[type]:
    """Both numeric, one shape, finite (any rank, empty included)."""
    yf, tf = as_numeric(y), as_numeric(t)
    if yf is None or tf is None:
        return {InputTypeError} | ({InputError} if yf is not None and tf is None else set())
    if yf.shape != tf.shape or not np.isfinite(yf).all() or not np.isfinite(tf).all():
        return {InputError}
    return set()


@PROFILE
@given(y_and_t_same_shape())
def test_mean_squared_error(yt):
    y, t = yt

    def check(loss):
        yf, tf = as_numeric(y), as_numeric(t)
        assert isinstance(loss, float) and loss >= 0 and not np.isnan(loss)
        pairs = zip(yf.ravel(), tf.ravel(), strict=True)
        exact = mp.fsum((mp.mpf(float(a)) - mp.mpf(float(b))) ** 2 for a, b in pairs)
        within(loss, o.to_f64(exact / 2), "reduction", eb.mse_scale(yf, tf))
        assert mean_squared_error(tf, yf) == loss, "symmetric"
    attempt("mean_squared_error", lambda: mean_squared_error(y, t), mse_problems(y, t), check)


def vector_f(x: np.ndarray) -> np.ndarray:
    """A function that wrongly returns a vector."""
    return x


def f2_quiet(x: np.ndarray) -> float:
    """function_2 whose own overflow (|x| beyond 1e154) does not warn: Inf, for the library to refuse."""
    with np.errstate(over="ignore"):
        return F2(x)


FUNCTIONS = st.sampled_from([f2_quiet] * 6 + [vector_f, None, 3, "function_2"])


GRAD_POINTS = mostly(st.one_of(float_arrays(elements=finite(1e100)), float_arrays(elements=finite(1e3)),
                               float_arrays()), NOT_FLOAT)


def float_problems(x: Any, f: Any) -> set[type]:
    """numerical_gradient's contract: f callable, x a writable finite float64 ndarray (any shape), f
    one finite number at x +- h."""
    if not callable(f) or not isinstance(x, np.ndarray) or x.dtype != np.float64:
        return {InputTypeError}
    if not x.flags.writeable or not np.isfinite(x).all():
        return {InputError}
    with np.errstate(over="ignore"):
        f_overflows = f is f2_quiet and x.size and not np.isfinite(np.sum(x * x))
    return {InputError} if f_overflows or (f is vector_f and x.ndim and x.size) else set()


def check_central_difference(x: np.ndarray, grad: np.ndarray) -> None:
    """function_2's gradient: within the numerical_gradient class of the exact central difference at the
    float points x +- h; and so within that bound plus the rounding of x +- h of the analytic 2x."""
    assert grad.shape == x.shape and grad.dtype == np.float64 and np.isfinite(grad).all()
    exact = np.array([o.to_f64((mp.mpf(float(v + H)) ** 2 - mp.mpf(float(v - H)) ** 2) / (2 * o.H))
                      for v in x.ravel()]).reshape(x.shape)
    scale = eb.central_difference_scale("function_2", x)
    within(grad, exact, "numerical_gradient", scale)
    cls = POLICY["numerical_gradient"]
    policy_bound = cls["max_ulp"] * ulp(exact) + cls["c"] * EPS * scale
    u = ulp(np.abs(x) + H)  # x +- h rounded by u / 2 each moves the exact difference off 2x by at most:
    assert (np.abs(grad - 2 * x) <= np.abs(x) * u / H + u + u * u / H + policy_bound).all(), "2x"


@PROFILE
@given(FUNCTIONS, GRAD_POINTS, st.integers(0, 9))
def test_numerical_gradient(f, x, read_only):
    before = x.copy() if isinstance(x, np.ndarray) else None
    if before is not None and not read_only:
        x.flags.writeable = False

    def check(grad):
        assert same_bits(x, before), "x restored bit for bit"
        if f is f2_quiet:
            check_central_difference(x, grad)
    attempt("numerical_gradient", lambda: numerical_gradient(f, x), float_problems(x, f), check)
    if before is not None and before.dtype == np.float64:
        assert same_bits(x, before), "x restored bit for bit after an error too"


@PROFILE
@given(float_arrays(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), ANY_FLOAT),
       st.integers(1, 40))
def test_numerical_gradient_restores_x_when_f_raises(x, fail_at):
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == fail_at:
            raise ZeroDivisionError("f failed")
        return 0.0
    before = x.copy()
    if not np.isfinite(x).all():
        expected = pytest.raises(InputError)  # refused before f is called
    elif fail_at <= 2 * x.size:
        expected = pytest.raises(ZeroDivisionError)
    else:
        expected = contextlib.nullcontext()
    with expected:
        numerical_gradient(f, x)
    assert same_bits(x, before), "x restored bit for bit"


# Valid rates stay <= 1: gradient descent on function_2 then contracts (larger ones overflow f itself).
LEARNING_RATES = mostly(st.one_of(st.floats(1e-3, 0.9), st.builds(np.float64, st.floats(1e-3, 1)),
                                  st.just(1)),
                        st.one_of(st.sampled_from([0, -0.1, np.nan, np.inf, True, "0.1", None]),
                                  st.floats(max_value=0.0)))


STEPS = mostly(st.one_of(st.integers(0, 5), st.sampled_from([3.0, np.int64(2), np.array(1)])),
               st.sampled_from([-1, 2.5, True, None, np.nan, "2"]))


@PROFILE
@given(mostly(float_arrays(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4), finite(1e3)), NOT_FLOAT),
       LEARNING_RATES, STEPS)
def test_gradient_descent(x0, lr, steps):
    problems = set()
    if not isinstance(x0, np.ndarray) or x0.dtype != np.float64:
        problems.add(InputTypeError)
    if positive_problem(lr) or count_problem(steps, 0):
        problems.add(InputError)
    before = x0.copy() if isinstance(x0, np.ndarray) else None

    def check(x):
        assert same_bits(x0, before), "init_x untouched"
        assert x.shape == x0.shape and np.isfinite(x).all()
        # function_2 with 0 < lr < 1: x_k = x0 (1 - 2 lr)^k, up to each step's gradient error (the
        # rounding of f over h, and of x +- h) and the step's own rounding.
        k, n = int(steps), max(x0.size, 1)
        step_error = lr * EPS / H * (2 * (n + 1) * np.sum(x0**2) + 4 * np.abs(x0).max(initial=0)) + 4 * EPS
        assert (np.abs(x - x0 * (1 - 2 * lr) ** k) <= k * (step_error + 4 * EPS * np.abs(x0))).all()
    attempt("gradient_descent", lambda: gradient_descent(F2, x0, lr, steps), problems, check)


@st.composite
def params_and_grads(draw: st.DrawFn) -> tuple[Any, Any]:
    """Dicts of float or int arrays, grads matching or with a key or shape off; or not dicts."""
    keys = draw(st.lists(st.sampled_from(["W1", "b1", "W2", "b", "x"]), unique=True, max_size=4))
    shapes = [draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4)) for _ in keys]
    dtype = draw(st.sampled_from([np.float64, np.float64, np.int64]))
    params = {k: draw(hnp.arrays(dtype, s, elements=finite(1e100) if dtype is np.float64 else None))
              for k, s in zip(keys, shapes, strict=True)}
    grads = {k: draw(float_arrays(s, finite(1e100))) for k, s in zip(keys, shapes, strict=True)}
    change = draw(mostly(st.just(0), st.integers(1, 5), share=1))
    if change == 1 and keys:
        grads.pop(keys[0])
    elif change == 2:
        grads["extra"] = np.zeros(2)
    elif change == 3 and keys:
        grads[keys[0]] = np.zeros((*np.shape(grads[keys[0]]), 1))
    elif change == 4:
        return draw(st.sampled_from([[1.0], (1.0,), "params", None])), grads
    elif change == 5 and keys:
        params[keys[0]] = draw(st.sampled_from([np.array(["x"]), None, [1.0], True, np.array([True])]))
    return params, grads


@PROFILE
@given(params_and_grads(), LEARNING_RATES)
def test_sgd_update(pg, lr):
    params, grads = pg

    def numeric(v: Any) -> bool:
        return isinstance(v, np.ndarray | float | int) and np.asarray(v).dtype.kind in "iuf"
    problems = set()
    if positive_problem(lr) or not isinstance(params, dict) or params.keys() != grads.keys():
        problems.add(InputError)
    else:  # key by key: a non-numeric value, else a shape off
        for k, p in params.items():
            if not numeric(p) or not numeric(grads[k]):
                problems.add(InputTypeError)
            elif np.shape(p) != np.shape(grads[k]):
                problems.add(InputError)
    saved = ({k: np.copy(v) for k, v in params.items()} if isinstance(params, dict) else None,
             {k: v.copy() for k, v in grads.items()})

    def check(new):
        assert new.keys() == params.keys()
        for key, p in params.items():  # the exact class: the same bits as p - lr * g
            assert same_bits(new[key], p - float(lr) * grads[key]), key
        for before, now in zip(saved, (params, grads), strict=True):
            assert all(same_bits(before[k], now[k]) for k in before), "inputs not modified"
    attempt("sgd_update", lambda: sgd_update(params, grads, lr), problems, check)


COUNTS_N = st.one_of(st.integers(0, 40), st.sampled_from([-1, 2.0, 2.5, np.nan, np.inf, True, "3", None,
                                                         np.int64(3), np.array(4), np.float64(5.0)]))


HIGHS = st.one_of(st.integers(1, 100), st.sampled_from([0, -3, 2**31, 2**31 + 1, 2.0, True, np.int64(9)]))


@PROFILE
@given(SEEDS, st.sampled_from(["uniform", "normal", "integers"]), COUNTS_N, HIGHS)
def test_rng(seed, method, n, high):
    high_problem = method == "integers" and (isinstance(high, bool) or not isinstance(high, (int, np.integer))
                                             or not 1 <= high <= 2**31)
    problems = {InputError} if seed_problem(seed) or count_problem(n, 0) or high_problem else set()

    def draw() -> np.ndarray:
        gen = Rng(seed)
        return gen.integers(high, n) if method == "integers" else getattr(gen, method)(n)

    def check(values):
        assert values.shape == (int(n),) and same_bits(values, draw()), "deterministic"
        if method == "uniform":
            assert values.dtype == np.float64 and ((values > 0) & (values < 1)).all()
        elif method == "normal":
            assert values.dtype == np.float64 and np.isfinite(values).all() and (np.abs(values) < 9).all()
        else:
            assert values.dtype == np.int64 and ((values >= 0) & (values < high)).all()
    attempt(f"Rng.{method}", draw, problems, check)


write_counts = counts_file("functions")
