"""One row of the accuracy table per function: screen everything, decide the worst exactly, both languages."""

from collections.abc import Callable
from typing import Any

import numpy as np

from fixtures.error_bounds import cross_entropy_scale, softmax_scale
from parity_tests.accuracy import exact, screen
from python.suite.tolerance import bound_of, ulp

LANGS = ("python", "r")


def bit_differences(a: np.ndarray, b: np.ndarray) -> int:
    """Elements whose float64 bits differ (NaN == NaN)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    same = (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))
    return int(np.count_nonzero(~same))


def candidates(scores: dict[str, np.ndarray], top: int, always: np.ndarray) -> np.ndarray:
    """Indices of the `top` worst screened inputs of each language, plus the `always` ones."""
    picks = [np.argsort(s, kind="stable")[-top:] for s in scores.values()]
    return np.unique(np.concatenate([*picks, always]))


def elementwise(name: str, x: np.ndarray, got: dict[str, np.ndarray], top: int, always: np.ndarray,
                screen_fn: Callable, exact_fn: Callable) -> dict[str, Any]:
    """ULP errors of an elementwise function on x: screened in long double, the worst decided exactly.

    Two measures: against the exact value (the claim), and against the exact value rounded once, in
    ULPs of that rounding (what the fixture classes bound).
    """
    ref = screen_fn(x)
    scores = {lang: screen.ulp_error(got[lang], ref) for lang in LANGS}
    near = ref.astype(np.float64)
    scores |= {f"{lang} rounded": np.abs(got[lang] - near) / ulp(near) for lang in LANGS}
    pick = candidates(scores, top, always)
    rounded, errors = exact.ulp_errors(exact_fn, x[pick], {lang: got[lang][pick] for lang in LANGS})
    out: dict[str, Any] = {"function": name, "inputs": int(x.size), "unit": "ULP",
                           "decided_exactly": int(pick.size),
                           "bit_differences": bit_differences(got["python"], got["r"])}
    for lang in LANGS:  # the worst of each measure, where it occurs, the result there and the exact value
        i = int(np.argmax(errors[lang]))
        vs_rounded = np.abs(got[lang][pick] - rounded) / ulp(rounded)
        k = int(np.argmax(vs_rounded))
        out[lang] = {"max_error": float(errors[lang][i]), "input": float(x[pick[i]]),
                     "got": float(got[lang][pick[i]]), "exact": float(rounded[i]), "index": int(pick[i]),
                     "screen_max": float(scores[lang].max()),
                     "max_vs_rounded": float(vs_rounded[k]), "input_vs_rounded": float(x[pick[k]])}
    return out


def softmax_ld(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax in long double (the screen)."""
    e = np.exp(x.astype(np.longdouble) - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def worst_ratio(got: list[np.ndarray], rounded: list[np.ndarray], bounds: list[np.ndarray],
                inputs: list[str]) -> dict[str, Any]:
    """The largest |got - exact| / bound over the items (the first if tied), where, and its ULP error."""
    ratios = [np.abs(g - r) / b for g, r, b in zip(got, rounded, bounds, strict=True)]
    i = max(range(len(ratios)), key=lambda k: ratios[k].max())
    j = int(np.argmax(ratios[i]))
    g, r = got[i].flat[j], rounded[i].flat[j]
    return {"max_error": float(ratios[i].flat[j]), "input": inputs[i], "got": float(g), "exact": float(r),
            "ulp": float(abs(g - r) / np.spacing(abs(r)))}


def softmax(matrices: list[np.ndarray], got: dict[str, list[np.ndarray]], policy: dict, top: int) -> dict:
    """Worst ratio |got - exact| / (the softmax class's bound) over all rows, and its ULP error."""
    cls = policy["softmax"]
    rows = [(m, r) for m, x in enumerate(matrices) for r in range(x.shape[0])]
    scores: dict[str, list[float]] = {lang: [] for lang in LANGS}
    for m, x in enumerate(matrices):
        ref = softmax_ld(x)
        bound = bound_of(cls, ref.astype(np.float64), softmax_scale(x))
        for lang in LANGS:
            scores[lang] += list((np.abs(got[lang][m] - ref) / bound).max(axis=1).astype(np.float64))
    pick = candidates({k: np.array(v) for k, v in scores.items()}, top, np.array([], dtype=int))
    picked = [rows[p] for p in pick]
    x = [matrices[m][r] for m, r in picked]
    rounded = [np.array([exact.to_f64(v) for v in exact.softmax_row(row)]) for row in x]
    bounds = [bound_of(cls, e, softmax_scale(row)) for e, row in zip(rounded, x, strict=True)]
    out: dict[str, Any] = {"function": "softmax", "inputs": int(sum(x.size for x in matrices)),
                           "rows": len(rows), "unit": "x bound", "decided_exactly": int(pick.size),
                           "bit_differences": sum(bit_differences(got["python"][m], got["r"][m])
                                                  for m in range(len(matrices)))}
    described = [f"row of {row.size}, max |x| {np.abs(row).max():.3g}" for row in x]
    for lang in LANGS:
        out[lang] = worst_ratio([got[lang][m][r] for m, r in picked], rounded, bounds, described)
    return out


def cross_entropy(batches: list[tuple[np.ndarray, np.ndarray]], got: dict[str, np.ndarray],
                  policy: dict) -> dict:
    """Worst ratio |got - exact| / (the reduction class's bound) over all batches, each decided exactly."""
    rounded = [np.array(exact.to_f64(exact.cross_entropy(y, t))) for y, t in batches]
    bounds = [bound_of(policy["reduction"], e, cross_entropy_scale(y[np.arange(t.size), t]))
              for e, (y, t) in zip(rounded, batches, strict=True)]
    out: dict[str, Any] = {"function": "cross_entropy_error", "inputs": len(batches),
                           "picks": int(sum(t.size for _, t in batches)), "unit": "x bound",
                           "decided_exactly": len(batches),
                           "bit_differences": bit_differences(got["python"], got["r"])}
    described = [f"batch {y.shape[0]}x{y.shape[1]}" for y, _ in batches]
    for lang in LANGS:
        out[lang] = worst_ratio(list(got[lang]), rounded, bounds, described)
    return out
