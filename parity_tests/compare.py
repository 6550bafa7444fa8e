"""One table row per case: Python vs exact, R vs exact, Python vs R, under the case's tolerance class."""

from typing import Any

import numpy as np

from parity_tests.r_bridge import CaseError
from python.suite.tolerance import Verdict, bound_of, compare, log_relative_error, ulp, unit_of, worst_of

COMPARISONS = {"py_exact": "Python vs exact", "r_exact": "R vs exact", "py_r": "Python vs R"}


def shaped_like(result: Any, expected: Any) -> Any:
    """R's length-1 vectors as the expected scalar's shape; everything else as it came."""
    if isinstance(result, CaseError):
        return result
    if isinstance(expected, dict):
        if not isinstance(result, dict):
            return result
        return {k: shaped_like(v, expected.get(k)) for k, v in result.items()}
    arr = np.asarray(result, dtype=np.float64)
    if expected is not None and np.ndim(expected) == 0 and arr.size == 1:
        return arr.reshape(())
    return arr


def failed_verdict(cls: dict, why: str) -> Verdict:
    """The verdict of a comparison that could not be made (an error, a missing case)."""
    return Verdict(unit_of(cls), np.inf, 0.0, np.inf, 0.0, False, f" {why}")


def cross_array(py: np.ndarray, r: np.ndarray, expected: np.ndarray, cls: dict,
                err_scale: Any) -> Verdict:
    """|py - r| against the same elementwise bound as each against the exact value."""
    py, r = np.asarray(py, dtype=np.float64), np.asarray(r, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    unit = unit_of(cls)
    if py.shape != r.shape:
        return failed_verdict(cls, f"shape {py.shape} != {r.shape}")
    if py.size == 0:
        return Verdict(unit, 0.0, 0.0, 0.0, 17.0, True, "")
    finite = np.isfinite(py) & np.isfinite(r)
    same_special = (np.isnan(py) & np.isnan(r)) | (py == r)
    diff = np.abs(np.where(finite, py, 0.0) - np.where(finite, r, 0.0))
    bound = bound_of(cls, expected, err_scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(diff == 0, 0.0, diff / bound)
    ratio = np.where(finite | same_special, ratio, np.inf)
    worst = int(np.argmax(ratio))
    scale = ulp(expected).flat[worst] if unit == "ulp" else 1.0
    index = [int(i) for i in np.unravel_index(worst, py.shape)] if py.ndim else []
    where = (f"{index}: Python {float(py.flat[worst])!r}, R {float(r.flat[worst])!r}"
             if ratio.flat[worst] > 0 else "")
    digits = float(np.min(np.where(finite, log_relative_error(py, r), 17.0)))
    error = diff.flat[worst] / scale if np.isfinite(ratio.flat[worst]) else np.inf
    return Verdict(unit, float(error), float(bound.flat[worst] / scale), float(ratio.flat[worst]),
                   digits, bool(ratio.flat[worst] <= 1.0), where)


def cross_verdict(py: Any, r: Any, expected: Any, cls: dict, err_scale: Any) -> Verdict:
    """Python vs R: bit for bit for 'bitexact' classes, else within the class's bound of the exact value."""
    if cls.get("cross") == "bitexact":
        return compare(py, r, cls, bitexact=True)
    if "min_abs" in cls:  # divergence: the digits are chaos, both must show it
        return max(compare(py, expected, cls), compare(r, expected, cls), key=lambda v: v.ratio)
    if not isinstance(expected, dict):
        return cross_array(py, r, expected, cls, err_scale)
    if not (isinstance(py, dict) and isinstance(r, dict) and sorted(py) == sorted(r) == sorted(expected)):
        return failed_verdict(cls, "keys differ")
    verdicts = {k: cross_array(py[k], r[k], expected[k], cls, None if err_scale is None else err_scale[k])
                for k in expected}
    return worst_of(verdicts)


def case_verdicts(case: dict, py: Any, r: Any, policy: dict) -> dict[str, Verdict]:
    """The three comparisons of one case; an error on either side fails the comparisons it enters."""
    cls = policy[case["tolerance"]]
    expected, err_scale = case["expected"], case.get("err_scale")
    py, r = shaped_like(py, expected), shaped_like(r, expected)
    out = {}
    for name, got in (("py_exact", py), ("r_exact", r)):
        out[name] = (failed_verdict(cls, f"error: {got}") if isinstance(got, CaseError)
                     else guarded(cls, compare, got, expected, cls, err_scale))
    broken = [f"{side} error" for side, got in (("Python", py), ("R", r)) if isinstance(got, CaseError)]
    out["py_r"] = (failed_verdict(cls, ", ".join(broken)) if broken
                   else guarded(cls, cross_verdict, py, r, expected, cls, err_scale))
    return out


def guarded(cls: dict, check: Any, *args: Any) -> Verdict:
    """A comparison whose inputs may be malformed (a map for an array, a string): a failure, not a crash."""
    try:
        return check(*args)
    except (TypeError, ValueError, KeyError) as exc:
        return failed_verdict(cls, f"malformed result: {exc}")


def case_row(function: str, case: dict, py: Any, r: Any, policy: dict) -> dict:
    """One row of the parity table: errors in the class's unit, digits, bounds, ratios, verdict."""
    verdicts = case_verdicts(case, py, r, policy)
    worst = max(verdicts, key=lambda k: verdicts[k].ratio)  # the first, py_exact, when all are 0
    # A divergence class measures min |x| against its floor, not an error.
    unit = "min|x|" if "min_abs" in policy[case["tolerance"]] else verdicts["py_exact"].unit
    row: dict[str, Any] = {"function": function, "case": case["id"], "class": case["tolerance"], "unit": unit,
                           **{name: v.error for name, v in verdicts.items()},
                           "digits_py": verdicts["py_exact"].digits, "digits_r": verdicts["r_exact"].digits,
                           "bound": verdicts[worst].bound, "ratio": verdicts[worst].ratio,
                           "verdict": "pass" if all(v.passed for v in verdicts.values()) else "FAIL"}
    for name, v in verdicts.items():
        row |= {f"{name}_bound": v.bound, f"{name}_ratio": v.ratio, f"{name}_passed": v.passed,
                f"{name}_where": v.where.strip()}
    row["digits_py_r"] = verdicts["py_r"].digits
    return row
