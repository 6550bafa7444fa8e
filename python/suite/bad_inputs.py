"""Run the bad-input catalogue (fixtures/bad_inputs.json): build each case's arguments, call, report."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from python.functions import cross_entropy_error, mean_squared_error, sigmoid, sigmoid_grad, softmax
from python.gradient import gradient_descent, numerical_gradient
from python.optimizer import sgd_update
from python.rng import Rng
from python.simple_net import SimpleNet
from python.suite.cases import TEST_FUNCTIONS
from python.suite.errors import DlfsError
from python.suite.fixtures_io import FIXTURES_DIR, verify_policy_file
from python.two_layer_net import TwoLayerNet

CATALOGUE = FIXTURES_DIR / "bad_inputs.json"
SPECIAL = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}
DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_, "string": np.str_}
# Test functions the cases name, beyond the fixtures' own: one that returns a vector, not a number.
FUNCTIONS: dict[str, Callable[[np.ndarray], Any]] = {**TEST_FUNCTIONS, "identity": lambda x: x}
PUBLIC = {f.__name__: f for f in (sigmoid, sigmoid_grad, softmax, cross_entropy_error, mean_squared_error,
                                  numerical_gradient, gradient_descent, sgd_update, Rng, TwoLayerNet,
                                  SimpleNet)}


def build(value: Any) -> Any:
    """A catalogue value as a Python argument: arrays, special floats and functions decoded."""
    if not isinstance(value, dict):
        return value
    if "array" in value:
        shape, dtype = tuple(value["array"]), DTYPES[value.get("dtype", "float")]
        values = value.get("values", [value.get("fill")] * int(np.prod(shape)))
        flat = [SPECIAL.get(v, v) if isinstance(v, str) and dtype is not np.str_ else v for v in values]
        arr = np.array(flat, dtype=dtype).reshape(shape)
        for index, v in value.get("set", []):
            arr.reshape(-1)[index] = SPECIAL.get(v, v)
        return arr
    if "float" in value:
        return SPECIAL[value["float"]]
    if "function" in value:
        return FUNCTIONS[value["function"]]
    return {k: build(v) for k, v in value.items()}


def call(case: dict, net_args: dict) -> Any:
    """Call the case's function with its arguments (a method on a fresh net or generator; a setter)."""
    args = {k: build(v) for k, v in case["args"].items()}
    owner, _, method = case["function"].partition(".")
    fn = PUBLIC[owner]  # a function of the book, or a constructor
    if not method:
        return fn(**args)
    # Rng and SimpleNet are built from the case's seed 'rng', TwoLayerNet from the catalogue's net.
    target = TwoLayerNet(**net_args) if owner == "TwoLayerNet" else fn(case["rng"])
    if "params" in case:  # weights the case gives, set before the call
        target.params = build(case["params"])
    if method in ("params", "W"):  # a validated setter, given the new value as the argument of its name
        setattr(target, method, args[method])
        return None
    return getattr(target, method)(**args)


@dataclass
class Outcome:
    """What one case did: the error class and message raised, or None; and whether it is as listed."""

    case: dict
    error: str | None
    message: str
    ok: bool


def run_case(case: dict, net_args: dict) -> Outcome:
    """Run one case; ok when it raised the listed project error with every listed mention."""
    try:
        call(case, net_args)
    except Exception as err:  # anything but the project's listed error is a failure, reported
        name, message = type(err).__name__, str(err)
        listed = name == case["error"] and all(m in message for m in case["mentions"])
        ok = isinstance(err, DlfsError) and listed
        return Outcome(case, name, message, ok)
    return Outcome(case, None, "returned without an error", False)


def load_catalogue(path: Path = CATALOGUE) -> dict:
    """The catalogue file, after its manifest checksum."""
    return json.loads(verify_policy_file(Path(path).name, Path(path).parent).read_text())


def run_all(path: Path = CATALOGUE) -> list[Outcome]:
    """Every case of the catalogue, in order."""
    doc = load_catalogue(path)
    return [run_case(case, doc["net"]) for case in doc["cases"]]
