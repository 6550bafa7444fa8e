"""The book's ch05 gradient check in both languages: backprop `gradient` vs `numerical_gradient`.

The two differ by design, not by rounding. The loss that numerical_gradient differentiates carries
the 1e-7 guard, -log(y_t + delta), whose derivative is y_t / (y_t + delta) times the unguarded one
that backprop computes: per sample the gradient g_i shrinks by delta / (y_t,i + delta), so

    |backprop - numerical| <= delta / (p_min + delta) * G  +  h^2 * G^3

with p_min the smallest predicted probability of a true class in the batch and G a bound on any
per-sample gradient element: |y - onehot| <= 1 and sigmoid outputs in (0, 1) give 1 for b2 and W2,
and sigmoid' <= 1/4 with sum_k |y_k - onehot_k| <= 2 gives max|W2| / 2 (times max|x| for W1).
The second term covers the O(h^2) truncation of the central difference (h = 1e-4; the third
derivative of the per-sample loss scales as G^3) and, with a wide margin, the rounding of the loss
divided by 2h (~eps * loss / h ~ 1e-11). The exact values in the fixtures must obey the same bound,
which the "exact" column checks: a bound that the exact gap breaks would be a wrong policy.
"""

from typing import Any

import numpy as np

from parity_tests.r_bridge import CaseError

BACKPROP, NUMERICAL = "TwoLayerNet.gradient", "TwoLayerNet.numerical_gradient"
# The book's constants, kept here rather than imported: a mutant of the code under test must not
# move the bound it is checked against.
CE_DELTA, H = 1e-7, 1e-4


def labels(case: dict) -> np.ndarray:
    """The case's true classes (t given as labels or one-hot)."""
    t, x = np.asarray(case["inputs"]["t"]), np.asarray(case["inputs"]["x"])
    onehot = t.shape == x.shape[:-1] + case["inputs"]["params"]["W2"].shape[1:]
    return (np.argmax(t, axis=-1) if onehot else t).reshape(-1)


def same_problem(a: dict, b: dict) -> bool:
    """Same weights, same batch, same true classes (t may be labels in one and one-hot in the other)."""
    pa, pb = a["inputs"]["params"], b["inputs"]["params"]
    return (sorted(pa) == sorted(pb) and all(np.array_equal(pa[k], pb[k]) for k in pa)
            and np.array_equal(a["inputs"]["x"], b["inputs"]["x"]) and np.array_equal(labels(a), labels(b)))


def bound_for(case: dict) -> float:
    """delta / (p_min + delta) * G + h^2 * G^3 for this net and batch (see the module docstring)."""
    p, x = case["inputs"]["params"], np.asarray(case["inputs"]["x"], dtype=np.float64)
    # Its own forward pass (not the code under test): a mutant must not move the bound.
    x = x.reshape(-1, p["W1"].shape[0])
    a2 = 1.0 / (1.0 + np.exp(-(x @ p["W1"] + p["b1"]))) @ p["W2"] + p["b2"]
    e = np.exp(a2 - a2.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    p_min = float(np.min(y[np.arange(y.shape[0]), labels(case)]))
    g = max(1.0, 0.5 * float(np.max(np.abs(p["W2"]))) * max(1.0, float(np.max(np.abs(x)))))
    return CE_DELTA / (p_min + CE_DELTA) * g + H**2 * g**3


def max_gap(backprop: Any, numerical: Any, sample: dict | None) -> float:
    """max |backprop - numerical| over all weights (at the sampled elements when there is a sample)."""
    if isinstance(backprop, CaseError) or isinstance(numerical, CaseError):
        return np.inf
    gaps = []
    for key, num in numerical.items():
        full = np.asarray(backprop[key], dtype=np.float64)
        bp = full.ravel()[np.asarray(sample[key], dtype=np.intp)] if sample else full
        num = np.asarray(num, dtype=np.float64)
        gaps.append(np.inf if bp.shape != num.shape else float(np.max(np.abs(bp - num), initial=0.0)))
    return max(gaps, default=np.inf)


def gradcheck_rows(cases: dict[str, list[dict]], py: dict[str, dict], r: dict[str, dict]) -> list[dict]:
    """A row per (backprop case, numerical case) on the same problem, any TwoLayerNet.numerical_gradient*."""
    rows = []
    pairs = [(fn, c) for fn in cases if fn.startswith(NUMERICAL) for c in cases[fn]]
    for bp_case in cases.get(BACKPROP, []):
        for fn, num_case in pairs:
            if not same_problem(bp_case, num_case):
                continue
            sample = num_case.get("sample")
            gaps = {side: max_gap(res[BACKPROP][bp_case["id"]], res[fn][num_case["id"]], sample)
                    for side, res in (("py", py), ("r", r))}
            gaps["exact"] = max_gap(bp_case["expected"], num_case["expected"], sample)
            bound = bound_for(bp_case)
            ratio = max(gaps.values()) / bound
            elements = sum(np.size(v) for v in num_case["expected"].values())
            name = num_case["id"] if fn == NUMERICAL else f"{fn}:{num_case['id']}"
            rows.append({"case": bp_case["id"], "numerical case": name, "elements": elements,
                         "Python |bp-num|": gaps["py"], "R |bp-num|": gaps["r"],
                         "exact |bp-num|": gaps["exact"], "bound": bound, "ratio": ratio,
                         "verdict": "pass" if ratio <= 1 else "FAIL"})
    return rows
