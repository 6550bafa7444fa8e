"""Shared by the property tests (tests/test_properties_*.py): the generated inputs, the verdict on one call
(attempt), the contracts of the checks, and the counts file each test module writes.

Every public function over generated shapes, dtypes and values: a result within the tolerance policy or
the project's clear error (a DlfsError of the kind the input calls for); never another exception, a leaked
warning or a silent NaN. Counts go to build/robustness/properties_<part>_python.json (the README table).
"""

import json
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures import error_bounds as eb
from fixtures import oracle as o
from python.rng import MAX_SEED
from python.suite.cases import TEST_FUNCTIONS
from python.suite.errors import DlfsError, InputError, InputTypeError, NumericalError
from python.suite.tolerance import compare, load_policy
from python.two_layer_net import TwoLayerNet

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy()
# Fixed and bounded: the same examples every run (no database), no timing in the verdict.
PROFILE = settings(derandomize=True, database=None, deadline=None, max_examples=120,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                          HealthCheck.data_too_large, HealthCheck.large_base_example])
SLOW = settings(PROFILE, max_examples=60)
COUNTS: dict[str, Counter] = defaultdict(Counter)
KNOWN_ISSUES: list[str] = []  # the strict xfails' reasons, for the counts file
REFUSED = object()  # what attempt() returns for a clear error
F2 = TEST_FUNCTIONS["function_2"]


SPECIALS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e308, -1e308,
            np.finfo(np.float64).max]
# The band -750..-700 is where sigmoid's results are subnormal and 1 / (1 + exp(-x)) loses them.
ANY_FLOAT = st.one_of(st.sampled_from(SPECIALS), st.floats(), st.floats(-40, 40), st.floats(-750, -700))
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
NOT_FLOAT = st.one_of(
    hnp.arrays(np.int64, SHAPES, elements=st.integers(-2**62, 2**62)), hnp.arrays(np.uint8, SHAPES),
    hnp.arrays(np.bool_, SHAPES), hnp.arrays("<U2", SHAPES), hnp.arrays(np.float32, SHAPES),
    hnp.arrays(np.complex128, SHAPES, elements=st.complex_numbers(max_magnitude=10)),
    hnp.arrays(object, SHAPES, elements=st.integers(-3, 3)),
    st.none(), st.text(max_size=3), st.integers(-10**30, 10**30), st.booleans(), st.floats(),
    st.lists(st.floats(-5, 5), max_size=5), st.just([[1.0], [1.0, 2.0]]))


def mostly(common: st.SearchStrategy, rare: st.SearchStrategy, share: int = 3) -> st.SearchStrategy:
    """common share times in share + 1, else rare (st.one_of would weigh each of rare's own branches
    like common)."""
    return st.integers(0, share).flatmap(lambda k: common if k else rare)


ANY_INPUT = mostly(hnp.arrays(np.float64, SHAPES, elements=ANY_FLOAT), NOT_FLOAT, share=1)


def finite(bound: float) -> st.SearchStrategy[float]:
    """Finite floats within +-bound, edge values included."""
    edges = [v for v in (-0.0, 0.0, 5e-324, 1e-310, bound, -bound) if abs(v) <= bound]
    return st.one_of(st.sampled_from(edges), st.floats(-bound, bound), st.floats(-40, 40))


def float_arrays(shape: Any = SHAPES, elements: st.SearchStrategy = ANY_FLOAT) -> st.SearchStrategy:
    """float64 arrays."""
    return hnp.arrays(np.float64, shape, elements=elements)


def as_numeric(x: Any) -> np.ndarray | None:
    """x as the float64 array the library would see, or None if the library must refuse its type."""
    try:
        arr = np.asarray(x)
    except ValueError:
        return None
    return arr.astype(np.float64) if arr.dtype.kind in "iuf" else None


def attempt(name: str, call: Callable[[], Any], problems: set[type],
            check: Callable[[Any], None] | None = None, maybe: set[type] = frozenset()) -> Any:
    """Call; without problems the result must pass check (or, if any, one of the errors maybe), with
    problems one of those errors must come.

    Anything else (another exception, a warning, a failed check) is counted as an other failure and fails.
    """
    counts = COUNTS[name]
    counts["tried"] += 1
    try:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                result = call()
        except DlfsError as err:
            assert problems or maybe, f"{name}: a valid input was refused: {type(err).__name__}: {err}"
            assert type(err) in problems | maybe, f"{name}: {type(err).__name__} ({err}); expected {problems}"
            assert str(err)
            counts["clear_errors"] += 1
            return REFUSED
        assert not problems, f"{name}: returned {result!r:.100} where {problems} was due"
        if check is not None:
            with np.errstate(all="ignore"):  # the checks' own arithmetic (bounds of huge values)
                check(result)
    except Exception:
        counts["other_failures"] += 1
        raise
    counts["valid"] += 1
    return result


def within(got: Any, expected: Any, cls: str, err_scale: Any = None) -> None:
    """Assert the tolerance policy's class holds."""
    verdict = compare(got, expected, POLICY[cls], err_scale)
    assert verdict.passed, f"{cls}: error {verdict.error:.3g} > bound {verdict.bound:.3g} at {verdict.where}"


def exact_map(fn: Callable[[mp.mpf], mp.mpf], x: np.ndarray) -> np.ndarray:
    """fn at every element, exactly (60 digits), rounded once; NaN stays NaN."""
    return np.array([np.nan if np.isnan(v) else o.to_f64(fn(mp.mpf(float(v)))) for v in x.ravel()]
                    ).reshape(x.shape)


def same_bits(a: Any, b: Any) -> bool:
    """Equal arrays bit for bit (-0.0 and NaN payloads included)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool((a.view(np.int64) == b.view(np.int64)).all())


def softmax_problems(x: Any) -> set[type]:
    """Numeric, 1-D or 2-D, at least one class."""
    xf = as_numeric(x)
    if xf is None:
        return {InputTypeError}
    return {InputError} if xf.ndim not in (1, 2) or xf.shape[-1] == 0 else set()


@st.composite
def targets(draw: st.DrawFn, y_shape: tuple[int, ...]) -> Any:
    """Labels (some out of range), one-hot rows (some broken), float labels, or anything."""
    k = y_shape[-1] if y_shape else 1
    label_shape = y_shape[:-1]
    labels = draw(hnp.arrays(np.int64, label_shape, elements=st.integers(0, max(k - 1, 0))))
    onehot = np.eye(max(k, 1))[labels][..., :k] if k else np.zeros(y_shape)
    choice = draw(st.integers(0, 9))
    if choice <= 2:
        return labels
    if choice <= 4:
        return onehot
    if choice == 5 and onehot.size:
        broken = onehot.copy()
        where = draw(st.integers(0, onehot.size - 1))
        broken.flat[where] = draw(st.sampled_from([2.0, 0.5, 1.0, 0.0, np.nan]))
        return broken
    if choice == 6:
        return draw(hnp.arrays(np.int64, label_shape, elements=st.integers(-2, k + 1)))
    if choice == 7:
        return labels.astype(draw(st.sampled_from([np.float64, np.bool_, np.uint8, "<U1"])))
    return draw(ANY_INPUT)


def label_problems(t: Any, y: np.ndarray) -> set[type]:
    """labels_of's contract: one-hot rows of y's shape, or integer labels 0..K-1 of y's shape minus K."""
    try:
        t = np.asarray(t)
    except ValueError:
        return {InputTypeError}
    if t.dtype.kind not in "iuf":
        return {InputTypeError}
    if t.shape == y.shape:
        one = t == 1
        onehot = (one | (t == 0)).all() and (np.count_nonzero(one, axis=-1) == 1).all()
        return set() if onehot else {InputError}
    if t.shape != y.shape[:-1] or t.dtype.kind not in "iu":
        return {InputError}
    return {InputError} if t.size and (t.min() < 0 or t.max() >= y.shape[-1]) else set()


def labels_from(t: Any, y: np.ndarray) -> np.ndarray:
    """Checked t as flat class codes."""
    t = np.asarray(t)
    return (np.argmax(t, axis=-1) if t.shape == y.shape else t).reshape(-1).astype(np.intp)


PROBABILITIES = float_arrays(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
                             st.one_of(st.floats(0, 1), st.sampled_from([0.0, 5e-324, 1.0, 1e308])))


@st.composite
def y_and_t(draw: st.DrawFn) -> tuple[Any, Any]:
    """A y (mostly probabilities) and a t fitted to its shape (or not)."""
    y = draw(mostly(PROBABILITIES, ANY_INPUT))
    return y, draw(targets(np.shape(y) if isinstance(y, np.ndarray) else ()))


@st.composite
def y_and_t_same_shape(draw: st.DrawFn) -> tuple[Any, Any]:
    """Mostly two float arrays of one shape; sometimes shapes or types that differ."""
    y = draw(mostly(st.one_of(float_arrays(), float_arrays(elements=finite(1e308))), ANY_INPUT))
    shape = np.shape(y) if isinstance(y, np.ndarray) else ()
    t = draw(mostly(st.one_of(float_arrays(shape, finite(1e308)), float_arrays(shape)), ANY_INPUT))
    return y, t


def real_number(v: Any) -> float | None:
    """v as a float if it is one real number (a Python or numpy scalar, a 0-d numeric array; not bool)."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, np.ndarray):
        return float(v) if v.ndim == 0 and v.dtype.kind in "iuf" else None
    return float(v) if isinstance(v, (int, float, np.integer, np.floating)) else None


def positive_problem(lr: Any) -> bool:
    """A learning rate must be a finite number > 0."""
    v = real_number(lr)
    return v is None or not (np.isfinite(v) and v > 0)


def count_problem(n: Any, minimum: int) -> bool:
    """A count must be a whole number >= minimum."""
    v = real_number(n)
    return v is None or not (np.isfinite(v) and v.is_integer() and v >= minimum)


SEEDS = st.one_of(st.integers(0, MAX_SEED), st.integers(-5, 5), st.integers(MAX_SEED - 2, MAX_SEED + 2),
                  st.sampled_from([2.0, True, None, "1", np.int64(7), np.int32(3)]))


def seed_problem(seed: Any) -> bool:
    """Rng refuses the seed."""
    return isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED


@st.composite
def net_calls(draw: st.DrawFn, reach: float = np.inf) -> tuple[TwoLayerNet, Any, Any, tuple]:
    """A seeded net (weights std <= 10), an x mostly shaped for it, a t fitted to its predictions, and
    the net's arguments (sizes, weight_init_std, seed), for R."""
    n_in, n_hidden, n_out = (draw(st.integers(1, 4)) for _ in range(3))
    std, seed = draw(st.sampled_from([0.01, 1.0, 10.0])), draw(st.integers(0, 99))
    net = TwoLayerNet(n_in, n_hidden, n_out, std, seed)
    # NaN and Inf in x are refused; a finite x whose x @ W1 overflows to NaN is a NumericalError. Only
    # the cross-language test keeps |x| <= reach: where the product overflows, whether to NaN depends
    # on the summation order.
    shaped = st.one_of(st.just((n_in,)), st.tuples(st.integers(0, 5), st.just(n_in)))
    largest = min(reach, float(np.finfo(np.float64).max))
    x = draw(mostly(st.one_of(float_arrays(shaped, finite(min(largest, 1e300))),
                              float_arrays(shaped, finite(largest)),
                              float_arrays(shaped, st.one_of(finite(largest),
                                                             st.sampled_from([np.nan, np.inf, -np.inf]))),
                              hnp.arrays(np.int64, shaped, elements=st.integers(-9, 9))), ANY_INPUT))
    xf = as_numeric(x)
    assume(xf is None or not (np.abs(xf) > reach).any())  # ANY_INPUT's Inf and 1e308 too
    y_shape = (*np.shape(x)[:-1], n_out) if isinstance(x, np.ndarray) and x.ndim else ()
    return net, x, draw(targets(y_shape)), (np.array([n_in, n_hidden, n_out], dtype=np.float64), std, seed)


def overflow(x: Any) -> set[type]:
    """A NumericalError may come for a finite x beyond 1e300: x @ W1 can overflow to NaN (std <= 10)."""
    xf = as_numeric(x)
    huge = xf is not None and xf.size and np.isfinite(xf).all() and np.abs(xf).max() > 1e300
    return {NumericalError} if huge else set()


def x_problems(net: TwoLayerNet, x: Any) -> set[type]:
    """check_input: numeric, 1-D or 2-D, input_size columns, not empty, finite."""
    xf = as_numeric(x)
    if xf is None:
        return {InputTypeError}
    if xf.ndim not in (1, 2) or xf.shape[-1] != net.shapes["W1"][0] or xf.size == 0 \
            or not np.isfinite(xf).all():
        return {InputError}
    return set()


def exact_net(net: TwoLayerNet, x: Any, t: Any = None) -> tuple[dict, dict, np.ndarray]:
    """The exact forward pass, the policy's error scales, and the labels (zeros without t)."""
    x2 = np.atleast_2d(as_numeric(x))
    y_shape = (*np.shape(x)[:-1], net.shapes["W2"][1])
    labels = np.zeros(len(x2), np.intp) if t is None else labels_from(t, np.zeros(y_shape))
    with np.errstate(all="ignore"):  # the bounds' own float arithmetic: exp(-a1) may overflow to Inf
        return o.forward(net.params, x2), eb.network_scales(net.params, x2, labels), labels


def net_problems(net: TwoLayerNet, x: Any, t: Any) -> set[type]:
    """x's problems, or else t's against the predictions' shape."""
    problems = x_problems(net, x)
    return problems or label_problems(t, np.zeros((*np.shape(x)[:-1], net.shapes["W2"][1])))


def counts_file(part: str) -> Any:
    """A module-scoped autouse fixture: the module's inputs tried, valid results, clear errors and other
    failures, per function, written to build/robustness/properties_<part>_python.json after it."""
    @pytest.fixture(scope="module", autouse=True)
    def write_counts() -> Any:
        COUNTS.clear()
        yield
        per_function = {name: {key: c[key] for key in ("tried", "valid", "clear_errors", "other_failures")}
                        for name, c in sorted(COUNTS.items())}
        total = Counter()
        for c in per_function.values():
            total.update(c)
        out = ROOT / "build" / "robustness" / f"properties_{part}_python.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({
            "language": "python", "part": part, "generator": "hypothesis (derandomize=True, no database)",
            "functions": per_function, "total": {k: total[k] for k in ("tried", "valid", "clear_errors",
                                                                      "other_failures")},
            "known_issues_outside_generators": KNOWN_ISSUES}, indent=1) + "\n")
    return write_counts
