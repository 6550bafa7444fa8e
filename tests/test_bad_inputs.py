"""The bad-input catalogue in Python: every case refused with the listed error, and the check can fail."""

import json
from pathlib import Path

import jsonschema
import pytest

from python.suite.bad_inputs import CATALOGUE, FUNCTIONS, load_catalogue, run_all, run_case
from python.suite.fixtures_io import FIXTURES_DIR

DOC = load_catalogue()
NET = DOC["net"]
ROBUSTNESS = Path(__file__).resolve().parent.parent / "build" / "robustness"


def test_catalogue_matches_its_schema() -> None:
    """A malformed case would be a silent gap, so the file is validated like the fixtures."""
    schema = json.loads((FIXTURES_DIR / "bad_inputs.schema.json").read_text())
    jsonschema.validate(DOC, schema)
    descriptions = [(c["function"], c["description"]) for c in DOC["cases"]]
    assert len(descriptions) == len(set(descriptions)), "case descriptions must be unique per function"


@pytest.mark.parametrize("case", DOC["cases"], ids=lambda c: f"{c['function']}:{c['description']}")
def test_case_is_refused_as_listed(case: dict) -> None:
    """The listed project error, with every listed mention in the message."""
    outcome = run_case(case, NET)
    assert outcome.ok, f"got {outcome.error}: {outcome.message}"


def test_every_public_function_has_bad_inputs() -> None:
    """Each public entry point appears in the catalogue."""
    public = {"sigmoid", "sigmoid_grad", "softmax", "cross_entropy_error", "mean_squared_error",
              "numerical_gradient", "gradient_descent", "sgd_update", "Rng", "Rng.uniform",
              "Rng.normal", "Rng.integers", "TwoLayerNet", "TwoLayerNet.predict", "TwoLayerNet.loss",
              "TwoLayerNet.accuracy", "TwoLayerNet.gradient", "TwoLayerNet.numerical_gradient",
              "TwoLayerNet.params", "SimpleNet", "SimpleNet.predict", "SimpleNet.loss", "SimpleNet.W"}
    assert public <= {c["function"] for c in DOC["cases"]}


@pytest.mark.parametrize("change, reason", [
    ({"args": {"x": {"array": [2], "fill": 0.5}}}, "valid input: no error"),
    ({"error": "DataFileError"}, "another error class"),
    ({"mentions": ["x", "a phrase the message lacks"]}, "a missing mention"),
    ({"function": "numerical_gradient", "error": "ZeroDivisionError", "mentions": ["division"],
      "args": {"f": {"function": "crash"}, "x": {"array": [2], "fill": 1.0}}}, "only project errors count"),
])
def test_the_check_can_fail(change: dict, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case that is not refused exactly as listed is reported as failing."""
    monkeypatch.setitem(FUNCTIONS, "crash", lambda x: 1 / 0)
    case = {**DOC["cases"][0], **change}
    assert not run_case(case, NET).ok, reason


def test_counts_recorded() -> None:
    """The figures the README's robustness table quotes."""
    outcomes = run_all(CATALOGUE)
    groups: dict[str, int] = {}
    for o in outcomes:
        groups[o.case["group"]] = groups.get(o.case["group"], 0) + 1
    ROBUSTNESS.mkdir(parents=True, exist_ok=True)
    record = {"language": "python", "cases": len(outcomes), "refused_as_listed": sum(o.ok for o in outcomes),
              "by_group": groups}
    (ROBUSTNESS / "bad_inputs_python.json").write_text(json.dumps(record, indent=1) + "\n")
    assert record["refused_as_listed"] == record["cases"]
