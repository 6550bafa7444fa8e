"""The tolerance policy: elementwise bounds by class, worst element reported, never a mean."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from python.suite.fixtures_io import FIXTURES_DIR, verify_policy_file

EPS = float(np.finfo(np.float64).eps)


def load_policy(root: Path = FIXTURES_DIR) -> dict:
    """The classes of fixtures/tolerances.json, after its manifest checksum."""
    return json.loads(verify_policy_file("tolerances.json", root).read_text())["classes"]


def ulp(values: np.ndarray) -> np.ndarray:
    """Spacing of float64 at |values| (the smallest subnormal at zero)."""
    return np.spacing(np.abs(np.asarray(values, dtype=np.float64)))


@dataclass
class Verdict:
    """Worst element of one comparison: error in the class's unit, bound in that unit, pass."""

    unit: str
    error: float
    bound: float
    ratio: float
    digits: float
    passed: bool
    where: str


def unit_of(cls: dict) -> str:
    """'ulp' for classes bounded in ULPs only, 'abs' when an absolute term enters."""
    return "abs" if "min_abs" in cls or cls["c"] or cls["abs_eps"] else "ulp"


def bound_of(cls: dict, expected: np.ndarray, err_scale: np.ndarray | None) -> np.ndarray:
    """Allowed |got - expected| per element."""
    b = cls["max_ulp"] * ulp(expected) + cls["abs_eps"] * EPS
    if err_scale is not None:
        b = b + cls["c"] * EPS * np.asarray(err_scale, dtype=np.float64)
    return b


def log_relative_error(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """NIST StRD's digits of agreement, -log10(|got - exp| / |exp|), capped at 17."""
    scale = np.where(expected == 0, 1.0, np.abs(expected))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(17.0, -np.log10(np.abs(got - expected) / scale))


def compare_array(got: Any, expected: np.ndarray, cls: dict, err_scale: Any = None,
                  bitexact: bool = False) -> Verdict:
    """Check one array against expected under a class (or bit for bit); report the worst element."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    unit = unit_of(cls)
    if got.shape != expected.shape:
        return Verdict(unit, np.inf, 0.0, np.inf, 0.0, False, f" shape {got.shape} != {expected.shape}")
    if got.size == 0:
        return Verdict(unit, 0.0, 0.0, 0.0, 17.0, True, "")
    if "min_abs" in cls:
        smallest = float(np.min(np.abs(got)))
        return Verdict(unit, smallest, cls["min_abs"], cls["min_abs"] / max(smallest, 1e-300), 0.0,
                       bool(smallest >= cls["min_abs"]), f" min |got| = {smallest:.3g}")
    finite = np.isfinite(expected) & np.isfinite(got)
    special_ok = np.where(np.isnan(expected), np.isnan(got),
                          np.where(np.isinf(expected), got == expected, np.isfinite(got)))
    diff = np.abs(np.where(finite, got, 0.0) - np.where(finite, expected, 0.0))
    if bitexact:
        bound = np.zeros_like(expected)
        same = (got.view(np.int64) == expected.view(np.int64)) | (np.isnan(got) & np.isnan(expected))
        ratio = np.where(same, 0.0, np.inf)
    else:
        bound = bound_of(cls, expected, err_scale)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(diff == 0, 0.0, diff / bound)
    ratio = np.where(special_ok, ratio, np.inf)
    worst = int(np.argmax(ratio))
    scale = ulp(expected).flat[worst] if unit == "ulp" else 1.0
    index = [int(i) for i in np.unravel_index(worst, expected.shape)] if expected.ndim else []
    where = f"{index}: got {float(got.flat[worst])!r}, expected {float(expected.flat[worst])!r}"
    digits = float(np.min(np.where(finite, log_relative_error(got, expected), 17.0)))
    error = diff.flat[worst] / scale if special_ok.flat[worst] else np.inf
    return Verdict(unit, float(error), float(bound.flat[worst] / scale), float(ratio.flat[worst]),
                   digits, bool(ratio.flat[worst] <= 1.0), where if ratio.flat[worst] > 0 else "")


def compare(got: Any, expected: Any, cls: dict, err_scale: Any = None,
            bitexact: bool = False) -> Verdict:
    """Compare arrays or maps of arrays (each key checked); the worst key decides."""
    if not isinstance(expected, dict):
        return compare_array(got, expected, cls, err_scale, bitexact)
    if not isinstance(got, dict) or sorted(got) != sorted(expected):
        return Verdict(unit_of(cls), np.inf, 0.0, np.inf, 0.0, False,
                       f"keys {sorted(got) if isinstance(got, dict) else type(got)} != {sorted(expected)}")
    verdicts = {k: compare_array(got[k], expected[k], cls,
                                 None if err_scale is None else err_scale[k], bitexact)
                for k in expected}
    return worst_of(verdicts)


def worst_of(verdicts: dict[str, Verdict]) -> Verdict:
    """The verdict of the worst array of a map (largest ratio to the bound), with the fewest digits of all."""
    key = max(verdicts, key=lambda k: (verdicts[k].ratio, verdicts[k].error))
    v = verdicts[key]
    v.digits = min(x.digits for x in verdicts.values())
    v.where = f"{key}{v.where}" if v.where else ""
    return v
