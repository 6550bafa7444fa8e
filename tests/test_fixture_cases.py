"""Every fixture case against the Python implementation, under the tolerance policy."""

import pytest

from python.suite.cases import run_case
from python.suite.tolerance import compare
from tests.conftest import ALL_CASES, case_params


@pytest.mark.parametrize(("function", "case"), case_params())
def test_case_within_policy(function, case, policy):
    got = run_case(function, case)
    verdict = compare(got, case["expected"], policy[case["tolerance"]], case.get("err_scale"))
    assert verdict.passed, (f"{function} {case['id']}: error {verdict.error:.3g} {verdict.unit} > "
                            f"bound {verdict.bound:.3g} at {verdict.where}")


def test_every_case_ran():
    # The parametrisation above comes from the manifest; an empty manifest must not pass silently.
    assert len(ALL_CASES) >= 80
    assert {fn for fn, _ in ALL_CASES} >= {
        "sigmoid", "sigmoid_grad", "softmax", "cross_entropy_error", "mean_squared_error",
        "numerical_gradient", "gradient_descent", "sgd_update", "Rng.uniform", "Rng.normal",
        "Rng.integers", "TwoLayerNet.init", "TwoLayerNet.predict", "TwoLayerNet.loss",
        "TwoLayerNet.accuracy", "TwoLayerNet.gradient", "TwoLayerNet.numerical_gradient",
        "sgd_trajectory", "numerical_diff", "gradient_descent_history", "SimpleNet.init", "SimpleNet.predict",
        "SimpleNet.loss", "SimpleNet.numerical_gradient"}
