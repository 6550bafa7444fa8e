"""Each tolerance class rejects a result a few times its bound away, and accepts one well inside it."""

import numpy as np
import pytest

from python.suite.tolerance import EPS, bound_of, compare, ulp
from tests.conftest import ALL_CASES

FLOAT_CLASSES = sorted({c["tolerance"] for _, c in ALL_CASES} - {"divergent"})


def first_case(cls_name):
    for fn, case in ALL_CASES:
        if case["tolerance"] == cls_name:
            return fn, case
    raise LookupError(cls_name)


def key_array(value):
    return value[next(iter(value))] if isinstance(value, dict) else value


@pytest.mark.parametrize("cls_name", FLOAT_CLASSES)
def test_class_fails_at_three_bounds_and_passes_at_half(cls_name, policy):
    fn, case = first_case(cls_name)
    cls = policy[cls_name]
    expected = np.asarray(key_array(case["expected"]), dtype=np.float64)
    scale = key_array(case["err_scale"]) if "err_scale" in case else None
    bound = bound_of(cls, expected, scale)
    i = int(np.argmax(np.where(np.isfinite(expected), bound, -1)))
    if bound.flat[i] == 0:  # an exact class: one ULP off must fail
        got = expected.copy()
        got.flat[i] = np.nextafter(got.flat[i], np.inf)
        assert not compare(got, expected, cls, scale).passed
        return
    for factor, should_pass in [(3.0, False), (-3.0, False), (0.5, True)]:
        got = expected.copy()
        got.flat[i] += factor * bound.flat[i]
        verdict = compare(got, expected, cls, scale)
        assert verdict.passed is should_pass, f"{cls_name} ({fn} {case['id']}), {factor} x bound: {verdict}"


@pytest.mark.parametrize("cls_name", ["exact", "rng_normal"])
def test_bitexact_cross_check_rejects_one_ulp(cls_name, policy):
    _, case = first_case(cls_name)
    expected = key_array(case["expected"])
    moved = np.nextafter(np.asarray(expected, dtype=np.float64), np.inf)
    assert not compare(moved, expected, policy[cls_name], bitexact=True).passed
    assert compare(np.array(expected, dtype=np.float64), expected, policy[cls_name], bitexact=True).passed


def test_divergent_class_rejects_a_converged_result(policy):
    _, case = first_case("divergent")
    cls = policy["divergent"]
    assert compare(case["expected"], case["expected"], cls).passed
    assert not compare(np.array([-6e-10, 8e-10]), case["expected"], cls).passed


def test_nan_and_infinities_must_match(policy):
    cls = policy["elementwise"]
    expected = np.array([np.nan, np.inf, -np.inf, 0.5])
    assert compare(expected.copy(), expected, cls).passed
    for bad in ([0.0, np.inf, -np.inf, 0.5], [np.nan, 1.0, -np.inf, 0.5], [np.nan, np.inf, np.inf, 0.5],
                [np.nan, np.inf, -np.inf, np.nan]):
        assert not compare(np.array(bad), expected, cls).passed, bad


def test_one_bad_element_is_not_averaged_away(policy):
    cls = policy["elementwise"]
    expected = np.linspace(0.1, 0.9, 10_000)
    got = expected.copy()
    got[1234] += 10 * ulp(got[1234])  # mean error would be 0.001 ULP
    verdict = compare(got, expected, cls)
    assert not verdict.passed and "[1234]" in verdict.where


def test_shape_mismatch_fails(policy):
    assert not compare(np.zeros(3), np.zeros((3, 1)), policy["exact"]).passed


def test_eps_is_float64_eps():
    assert EPS == 2.0**-52


def test_sigmoid_classes_reject_the_uncorrected_formulas(policy):
    """On the worst inputs the dense check found, the formulas before issue 13 miss the classes; ours pass."""
    from python.functions import sigmoid, sigmoid_grad

    worst = {fn: c for fn, c in ALL_CASES if c["id"] == "dense/worst_found"}
    x = worst["sigmoid"]["inputs"]["x"]
    e = np.exp(-np.abs(x))
    plain = np.where(x >= 0, 1.0, e) / (1.0 + e)  # the plain quotient: 2 ULP from the rounded value
    plain_minus = np.where(x < 0, 1.0, e) / (1.0 + e)  # the plain quotient at -x
    tries = [("sigmoid", plain, sigmoid(x)), ("sigmoid_grad", plain * plain_minus, sigmoid_grad(x))]
    for fn, got, ours in tries:
        case = worst[fn]
        cls = policy[case["tolerance"]]
        assert not compare(got, case["expected"], cls).passed, fn
        assert compare(ours, case["expected"], cls).passed, fn
