"""Run one fixture case: the table from a function's name in the fixtures to the call it checks."""

from collections.abc import Callable
from typing import Any

import numpy as np

from python.functions import cross_entropy_error, mean_squared_error, sigmoid, sigmoid_grad, softmax
from python.gradient import gradient_descent, numerical_diff, numerical_gradient
from python.optimizer import sgd_update
from python.rng import Rng
from python.simple_net import SimpleNet
from python.two_layer_net import TwoLayerNet

TEST_FUNCTIONS: dict[str, Callable[[np.ndarray], float]] = {
    "function_1": lambda x: float(np.sum(0.01 * x**2 + 0.1 * x)),  # the book's (4.5), summed
    "function_2": lambda x: float(np.sum(x**2)),  # the book's (4.6)
    "function_exp": lambda x: float(np.sum(np.exp(x))),  # not quadratic: its central difference depends on h
    "function_tmp1": lambda x: float(np.sum(x * x + 4.0**2.0)),  # the book's (4.6) at x1 = 4, in x0
    "function_tmp2": lambda x: float(np.sum(3.0**2.0 + x * x)),  # the book's (4.6) at x0 = 3, in x1
}


def net_from(params: dict[str, np.ndarray]) -> TwoLayerNet:
    """A net whose weights are exactly the given ones."""
    input_size, hidden_size = params["W1"].shape
    net = TwoLayerNet(input_size, hidden_size, params["W2"].shape[1], seed=0)
    net.params = params
    return net


def simple_net(W: np.ndarray) -> SimpleNet:
    """A SimpleNet holding a copy of W (numerical_gradient perturbs it in place)."""
    net = SimpleNet(seed=0)
    net.W = W.copy()
    return net


def simple_net_gradient(net: SimpleNet, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The book's numerical_gradient(f, net.W), with f reading the perturbed W it is given."""
    return numerical_gradient(lambda W: net.loss(x, t, W), net.W)


def sgd_trajectory(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray,
                   batch_indices: np.ndarray, lr: float) -> dict[str, np.ndarray]:
    """Backprop SGD over the given minibatches (one row of indices per step); final params."""
    net = net_from(params)
    for batch in batch_indices:
        net.params = sgd_update(net.params, net.gradient(x[batch], t[batch]), lr)
    return net.params


RUNNERS: dict[str, Callable[..., Any]] = {
    "sigmoid": sigmoid,
    "sigmoid_grad": sigmoid_grad,
    "softmax": softmax,
    "cross_entropy_error": cross_entropy_error,
    "mean_squared_error": mean_squared_error,
    "numerical_gradient": lambda f, x: numerical_gradient(TEST_FUNCTIONS[f], x.copy()),
    "gradient_descent": lambda f, init_x, lr, step_num:
        gradient_descent(TEST_FUNCTIONS[f], init_x, lr, step_num),
    "numerical_diff": lambda f, x: numerical_diff(TEST_FUNCTIONS[f], float(x)),
    "gradient_descent_history": lambda f, init_x, lr, step_num: dict(zip(("x", "history"),
        gradient_descent(TEST_FUNCTIONS[f], init_x, lr, step_num, history=True), strict=True)),
    "sgd_update": sgd_update,
    "Rng.uniform": lambda seed, n: Rng(seed).uniform(n),
    "Rng.normal": lambda seed, n: Rng(seed).normal(n),
    "Rng.integers": lambda seed, high, n: Rng(seed).integers(high, n),
    "TwoLayerNet.init": lambda input_size, hidden_size, output_size, weight_init_std, seed:
        TwoLayerNet(input_size, hidden_size, output_size, weight_init_std, seed).params,
    "TwoLayerNet.predict": lambda params, x: net_from(params).predict(x),
    "TwoLayerNet.loss": lambda params, x, t: net_from(params).loss(x, t),
    "TwoLayerNet.accuracy": lambda params, x, t: net_from(params).accuracy(x, t),
    "TwoLayerNet.gradient": lambda params, x, t: net_from(params).gradient(x, t),
    "TwoLayerNet.numerical_gradient": lambda params, x, t: net_from(params).numerical_gradient(x, t),
    "TwoLayerNet.numerical_gradient_plain": lambda params, x, t:
        net_from(params).numerical_gradient(x, t, method="plain"),
    "sgd_trajectory": sgd_trajectory,
    "SimpleNet.init": lambda seed: SimpleNet(seed).W,
    "SimpleNet.predict": lambda W, x: simple_net(W).predict(x),
    "SimpleNet.loss": lambda W, x, t: simple_net(W).loss(x, t),
    "SimpleNet.numerical_gradient": lambda W, x, t: simple_net_gradient(simple_net(W), x, t),
}


def run_case(function: str, case: dict) -> Any:
    """Call the implementation of `function` on the case's inputs; return arrays or maps of arrays."""
    result = RUNNERS[function](**case["inputs"])
    if "sample" in case:  # expected values exist at these row-major positions only
        result = {k: np.ravel(result[k])[v] for k, v in case["sample"].items()}
    if isinstance(result, dict):
        return {k: np.asarray(v, dtype=np.float64) for k, v in result.items()}
    return np.asarray(result, dtype=np.float64)
