"""The series numerical gradient equals the plain central-difference definition on every fixture net."""

import numpy as np
import pytest

from python.fast_gradient import SERIES_LIMIT, series_numerical_gradient
from python.gradient import numerical_gradient
from python.suite.cases import net_from
from python.suite.fixtures_io import load_cases
from python.suite.tolerance import compare
from python.two_layer_net import TwoLayerNet

NETS = load_cases("TwoLayerNet.numerical_gradient")


def sampled_numerical_gradient(net: TwoLayerNet, x: np.ndarray, t: np.ndarray,
                               sample: dict[str, list[int]]) -> dict[str, np.ndarray]:
    """The plain numerical_gradient(f, w) at the sampled elements only, each a one-element array."""
    out = {}
    for key, indices in sample.items():
        values = []
        for i in indices:
            def loss_at(w: np.ndarray, key: str = key, i: int = i) -> float:
                trial = net.params[key].copy()
                trial.flat[i] = w[0]
                return net.loss(x, t, {**net.params, key: trial})
            values.append(numerical_gradient(loss_at, np.array([net.params[key].flat[i]]))[0])
        out[key] = np.array(values)
    return out


@pytest.mark.parametrize("case", NETS, ids=[c["id"] for c in NETS])
def test_series_equals_plain_definition(case, policy):
    params, x, t = case["inputs"]["params"], case["inputs"]["x"], case["inputs"]["t"]
    net = net_from(params)
    fast = net.numerical_gradient(x, t)
    if "sample" in case:
        plain = sampled_numerical_gradient(net, x, t, case["sample"])
        fast = {k: fast[k].ravel()[v] for k, v in case["sample"].items()}
    else:
        plain = net.numerical_gradient(x, t, method="plain")
    verdict = compare(fast, plain, policy["numerical_gradient"], case["err_scale"])
    assert verdict.passed, verdict


def test_falls_back_to_plain_when_steps_are_large():
    rng = np.random.default_rng(5)
    net = net_from({"W1": rng.normal(size=(3, 2)), "b1": np.zeros(2), "W2": 100 * rng.normal(size=(2, 2)),
                    "b2": np.zeros(2)})
    x, t = 10 * rng.normal(size=(4, 3)), np.array([0, 1, 1, 0])
    assert 2e-4 * 10 * 100 > SERIES_LIMIT
    with pytest.raises(ValueError, match="too large"):
        series_numerical_gradient(net.params, x, t)
    fast, plain = net.numerical_gradient(x, t), net.numerical_gradient(x, t, method="plain")
    assert all(np.array_equal(fast[k], plain[k]) for k in plain)


def test_unknown_method():
    case = NETS[0]
    with pytest.raises(ValueError, match="method"):
        inputs = case["inputs"]
        net_from(inputs["params"]).numerical_gradient(inputs["x"], inputs["t"], "fast")
