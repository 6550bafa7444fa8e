"""The exact reference: mpmath at 256 bits, rounded once to float64 by exact integer arithmetic."""

from collections.abc import Callable

import mpmath as mp
import numpy as np

from fixtures.oracle import to_f64  # Fraction -> float: one correct rounding, subnormals included
from python.suite.tolerance import ulp

PREC = 256
DELTA = mp.mpf(1e-7)  # the double nearest 1e-7, as the implementations add it


def sigmoid(v: mp.mpf) -> mp.mpf:
    """1 / (1 + exp(-v))."""
    return 1 / (1 + mp.exp(-v))


def sigmoid_grad(v: mp.mpf) -> mp.mpf:
    """exp(-|v|) / (1 + exp(-|v|))**2, which is sigmoid(v) * sigmoid(-v)."""
    e = mp.exp(-abs(v))
    return e / (1 + e) ** 2


def normal_quantile(u: mp.mpf) -> mp.mpf:
    """sqrt(2) erfinv(2u - 1): the standard normal quantile of u."""
    return mp.sqrt(2) * mp.erfinv(2 * u - 1)


def ulp_errors(fn: Callable[[mp.mpf], mp.mpf], x: np.ndarray, got: dict[str, np.ndarray]
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The exact fn(x) rounded once, and each language's |got - exact| in ULPs of that rounding."""
    with mp.workprec(PREC):
        exact = [fn(mp.mpf(float(v))) for v in x]
        rounded = np.array([to_f64(v) for v in exact])
        unit = ulp(rounded)
        errors = {lang: np.array([float(abs(mp.mpf(float(g)) - e) / mp.mpf(float(s)))
                                  for g, e, s in zip(values, exact, unit, strict=True)])
                  for lang, values in got.items()}
    return rounded, errors


def softmax_row(row: np.ndarray) -> list[mp.mpf]:
    """Exact softmax of one row."""
    with mp.workprec(PREC):
        v = [mp.mpf(float(a)) for a in row]
        m = max(v)
        e = [mp.exp(a - m) for a in v]
        s = mp.fsum(e)
        return [a / s for a in e]


def cross_entropy(y: np.ndarray, labels: np.ndarray) -> mp.mpf:
    """Exact mean of -log(y[true] + 1e-7) over the rows."""
    with mp.workprec(PREC):
        picked = y[np.arange(labels.size), labels]
        return -mp.fsum(mp.log(mp.mpf(float(p)) + DELTA) for p in picked) / labels.size
