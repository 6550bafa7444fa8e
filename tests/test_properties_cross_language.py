"""Python and R agree on generated inputs: R gets the same inputs through rpy2 and must give the same class
of outcome, and values within twice the class's bound (tests/properties_helpers.py).
"""

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures import error_bounds as eb
from parity_tests.r_bridge import RBridge, SetupError
from python.functions import cross_entropy_error, mean_squared_error, sigmoid, sigmoid_grad, softmax
from python.gradient import gradient_descent, numerical_gradient
from python.optimizer import sgd_update
from python.rng import MAX_SEED, Rng
from python.suite.errors import DlfsError
from python.suite.tolerance import compare
from tests.properties_helpers import (
    COUNTS,
    F2,
    POLICY,
    PROFILE,
    ROOT,
    as_numeric,
    counts_file,
    exact_net,
    finite,
    float_arrays,
    net_calls,
    net_problems,
    softmax_problems,
    y_and_t,
    y_and_t_same_shape,
)

# R's side: each call by name, in a tryCatch that names the condition class; numpy's 1-D arrays (1-d R
# arrays after conversion) become plain vectors, as R code passes them.
R_HELPERS = """function(env) local({
  plain <- function(v) {
    if (is.list(v)) return(lapply(v, plain))
    if (length(dim(v)) == 1L) dim(v) <- NULL
    v
  }
  f2 <- test_functions$function_2
  calls <- list(
    sigmoid = sigmoid, sigmoid_grad = sigmoid_grad, softmax = softmax,
    cross_entropy_error = cross_entropy_error,
    mean_squared_error = mean_squared_error,
    numerical_gradient = function(x) numerical_gradient(f2, x),
    gradient_descent = function(x, lr, n) gradient_descent(f2, x, lr, n),
    sgd_update = sgd_update,
    rng = function(seed, method, n, high) {
      gen <- rng(seed)
      switch(method, uniform = uniform(gen, n), normal = normal(gen, n),
             integers = integers(gen, high, n))
    },
    net = function(sizes, std, seed, method, x, t) {
      net <- TwoLayerNet(sizes[1], sizes[2], sizes[3], std, seed)
      switch(method, predict = predict(net, x), loss = loss(net, x, t),
             accuracy = accuracy(net, x, t), gradient = gradient(net, x, t),
             series = numerical_gradient(net, x, t, "series"))
    })
  function(name, ...) {
    args <- lapply(list(...), plain)
    tryCatch(
      withCallingHandlers(list(kind = "value", value = do.call(calls[[name]], args)),
                          warning = function(w) stop("warning: ", conditionMessage(w))),
      dlfs_error = function(e) list(kind = class(e)[1L], value = conditionMessage(e)),
      error = function(e) list(kind = "other", value = conditionMessage(e)))
  }
}, envir = new.env(parent = env))"""


R_KIND = {"InputError": "dlfs_input_error", "InputTypeError": "dlfs_input_type_error",
          "NumericalError": "dlfs_numerical_error"}


@pytest.fixture(scope="module")
def r_outcome() -> Callable[..., tuple[str, Any]]:
    """outcome(name, *args) in R: ("value", result), (condition class, message) or ("other", message)."""
    try:
        bridge = RBridge.get(ROOT)
    except SetupError as exc:
        pytest.fail(f"the cross-language properties need R through rpy2:\n{exc}")
    from rpy2.robjects import default_converter, numpy2ri
    from rpy2.robjects.conversion import localconverter
    outcome = bridge.ro.r(R_HELPERS)(bridge.env)

    def to_r(a: Any) -> Any:
        if isinstance(a, dict):
            return bridge.ro.r["list"](**a)
        return a.item() if isinstance(a, np.ndarray) and a.ndim == 0 else a

    def run(name: str, *args: Any) -> tuple[str, Any]:
        with localconverter(default_converter + numpy2ri.converter):
            result = outcome(name, *(to_r(a) for a in args))
            return str(result["kind"][0]), result["value"]
    return run


def py_outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """("value", result) or (the R condition class of the project error); anything else fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return "value", call()
    except DlfsError as err:
        return R_KIND[type(err).__name__], str(err)


def from_r(value: Any, like: Any) -> Any:
    """An R result in the shape of the Python one (R has no 0-d arrays: a number is a length-1 vector)."""
    if isinstance(like, dict):
        return {str(k): from_r(v, like[k]) for k, v in value.items()}
    return np.asarray(value, dtype=np.float64).reshape(np.shape(like))


def agree(name: str, r_outcome: Callable, py_call: Callable[[], Any], *r_args: Any,
          cls: str | None = None, err_scale: Any = None) -> None:
    """The same class of outcome in both; values within twice the class's bound (each is within one)."""
    counts = COUNTS[f"python_vs_r:{name}"]
    counts["tried"] += 1
    try:
        py_kind, py_value = py_outcome(py_call)
        r_kind, r_value = r_outcome("net" if name.startswith("TwoLayerNet.") else name, *r_args)
        assert py_kind == r_kind, f"{name}: Python {py_kind} ({py_value!r:.80}), R {r_kind} ({r_value!r:.80})"
        if py_kind == "value" and cls is not None:
            bitexact = POLICY[cls].get("cross") == "bitexact"
            doubled = {**POLICY[cls], "max_ulp": 2 * POLICY[cls]["max_ulp"], "c": 2 * POLICY[cls]["c"]}
            with np.errstate(all="ignore"):
                verdict = compare(from_r(r_value, py_value), py_value, doubled, err_scale, bitexact)
            assert verdict.passed, f"{name}: R and Python differ: {verdict.where}"
    except Exception:
        counts["other_failures"] += 1
        raise
    counts["valid" if py_kind == "value" else "clear_errors"] += 1


def int32s(shapes: st.SearchStrategy) -> st.SearchStrategy:
    """int32 arrays without -2**31 (R's NA_integer_)."""
    return hnp.arrays(np.int32, shapes, elements=st.integers(-2**31 + 1, 2**31 - 1))


# What both languages hold alike: double, integer, logical and character arrays of rank 1 to 3 (R has
# no 0-d array: a number there is a length-1 vector).
RANKS_1_3 = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)


BOTH = st.one_of(float_arrays(RANKS_1_3), float_arrays(RANKS_1_3), int32s(RANKS_1_3),
                 hnp.arrays(np.bool_, RANKS_1_3), hnp.arrays("<U2", RANKS_1_3))


def held_alike(v: Any) -> bool:
    """An array R receives as the same value (rank >= 1; integers within R's)."""
    if not isinstance(v, np.ndarray) or v.ndim == 0 or v.dtype.kind not in "fiubU":
        return False
    return v.dtype.kind not in "iu" or bool(np.abs(v.astype(np.float64)).max(initial=0) < 2**31 - 1)


def one_number_apart(t: np.ndarray, y_ndim: int, k: int) -> bool:
    """A t that only R takes for one sample's label (R cannot tell a number from a length-1 vector):
    a length-1 array t, or a number t for a single class (R reads it as a one-hot row)."""
    return y_ndim == 1 and t.size == 1 and (t.ndim == 1 or k == 1)


@PROFILE
@given(BOTH)
def test_python_and_r_agree_elementwise(r_outcome, x):
    agree("sigmoid", r_outcome, lambda: sigmoid(x), x, cls="elementwise")
    agree("sigmoid_grad", r_outcome, lambda: sigmoid_grad(x), x, cls="elementwise_product")
    scale = None
    if not softmax_problems(x) and np.isfinite(as_numeric(x)).all() and x.size:
        rows = np.atleast_2d(as_numeric(x))
        scale = eb.softmax_scale(np.maximum(rows, rows.max(axis=1, keepdims=True) - 1e4)).reshape(x.shape)
    agree("softmax", r_outcome, lambda: softmax(x), x, cls=None if scale is None else "softmax",
          err_scale=scale)


@PROFILE
@given(y_and_t(), y_and_t_same_shape())
def test_python_and_r_agree_losses(r_outcome, yt, ys):
    y, t = yt
    t_alike = held_alike(np.atleast_1d(t)) if isinstance(t, np.ndarray) else False
    if held_alike(y) and t_alike and not one_number_apart(t, y.ndim, y.shape[-1]):
        agree("cross_entropy_error", r_outcome, lambda: cross_entropy_error(y, t), y, t)
    y, t = ys
    if held_alike(y) and held_alike(t):
        agree("mean_squared_error", r_outcome, lambda: mean_squared_error(y, t), y, t)


@PROFILE
@given(float_arrays(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), finite(1e3)),
       st.sampled_from([0.1, 0.5, 0.0, -1.0, np.nan]), st.sampled_from([0, 1, 3, -1]), st.booleans())
def test_python_and_r_agree_gradients(r_outcome, x, lr, steps, as_int):
    x = np.trunc(x).astype(np.int32) if as_int else x
    scale = None if as_int else eb.central_difference_scale("function_2", x)
    agree("numerical_gradient", r_outcome, lambda: numerical_gradient(F2, x.copy()), x,
          cls=None if as_int else "numerical_gradient", err_scale=scale)
    agree("gradient_descent", r_outcome, lambda: gradient_descent(F2, x, lr, steps), x, lr, steps)
    params, grads = {"a": x, "b": np.array([2.0])}, {"a": x + 1.0, "b": np.array([lr])}
    agree("sgd_update", r_outcome, lambda: sgd_update(params, grads, lr), params, grads, lr,
          cls=None if as_int else "exact")


@PROFILE
@given(st.one_of(st.integers(0, 1000), st.sampled_from([-1, MAX_SEED])),
       st.sampled_from(["uniform", "normal", "integers"]),
       st.one_of(st.integers(0, 30), st.sampled_from([-1, 2.5])),
       st.one_of(st.integers(1, 50), st.sampled_from([0, 2**31 - 1])))
def test_python_and_r_agree_rng(r_outcome, seed, method, n, high):
    def draw() -> np.ndarray:
        gen = Rng(seed)
        return gen.integers(high, n) if method == "integers" else getattr(gen, method)(n)
    agree("rng", r_outcome, draw, seed, method, n, high, cls="exact")


@PROFILE
@given(net_calls(reach=1e150), st.sampled_from(["predict", "loss", "accuracy", "gradient", "series"]))
def test_python_and_r_agree_net(r_outcome, call, method):
    net, x, t, spec = call
    t_alike = held_alike(np.atleast_1d(t)) if isinstance(t, np.ndarray) else False
    assume(held_alike(x) and x.dtype.kind != "U" and t_alike
           and not one_number_apart(t, x.ndim, net.shapes["W2"][1]))
    py = {"predict": lambda: net.predict(x), "loss": lambda: net.loss(x, t),
          "accuracy": lambda: net.accuracy(x, t), "gradient": lambda: net.gradient(x, t),
          "series": lambda: net.numerical_gradient(x, t, "series")}[method]
    cls, scale = None, None
    if method in ("predict", "loss", "gradient") and not net_problems(net, x, t):
        _, scales, _ = exact_net(net, x, None if method == "predict" else t)
        cls = "network"
        scale = {"predict": scales["y"].reshape((*np.shape(x)[:-1], -1)), "loss": scales["loss"],
                 "gradient": scales["grads"]}[method]
    agree(f"TwoLayerNet.{method}", r_outcome, py, *spec, method, x, t, cls=cls, err_scale=scale)


write_counts = counts_file("cross_language")
