"""The net's numerical gradient, every weight at once: the same central differences, by series.

Moving one weight w by d (d = fl(w +- h) - w, the float steps of the plain loop) moves the loss of
sample b along a one-dimensional path: W1[i, j] moves hidden unit j by sigmoid(a1 + d x_i) - z1,
which moves the logits along W2[j, :]; W2[j, k] moves logit k by d z1_j. Along such a path the loss
-log(softmax[true] + 1e-7) is an analytic function of s = d * basis, so it equals its Taylor
polynomial in s to far below rounding when |s| is small (|s| <= h |basis|). The coefficients depend
on (sample, column) only, so L(w + d+) - L(w + d-) for all weights is a few small matrix products.
No derivative of the loss is taken symbolically: the series are composed numerically.
"""

import math

import numpy as np
from numpy.typing import NDArray

from python.functions import CE_DELTA, sigmoid, softmax
from python.gradient import H

Array = NDArray[np.float64]
SERIES_DEGREE = 6  # truncation error below (|s| * scale)**7 / 7!, checked by SERIES_LIMIT
SERIES_LIMIT = 1e-2


class SeriesRangeError(ValueError):
    """The steps h * |x| * |W2| are too large for the truncated series to be exact."""


def sigmoid_derivative_polys(degree: int) -> list[np.poly1d]:
    """P_r with sigmoid^(r)(a) = P_r(sigmoid(a)): P_0 = z, P_{r+1} = P_r'(z) * z * (1 - z)."""
    polys = [np.poly1d([1.0, 0.0])]
    for _ in range(degree):
        polys.append(polys[-1].deriv() * np.poly1d([-1.0, 1.0, 0.0]))
    return polys


SIGMOID_POLYS = sigmoid_derivative_polys(SERIES_DEGREE + 1)


def sigmoid_series(z: Array, shift: int = 0) -> list[Array]:
    """Taylor coefficients of sigmoid(a + s) - sigmoid(a) in s, given z = sigmoid(a); shift 1: of softplus."""
    return [np.zeros_like(z)] + [SIGMOID_POLYS[r - shift](z) / math.factorial(r)
                                 for r in range(1, SERIES_DEGREE + 1)]


def series_mul(a: list[Array], b: list[Array]) -> list[Array]:
    """Product of two truncated series."""
    return [sum(a[i] * b[r - i] for i in range(r + 1)) for r in range(len(a))]


def series_compose(outer: list[Array], inner: list[Array]) -> list[Array]:
    """outer(inner(s)) for an inner series without constant term."""
    out = [outer[0] * np.ones_like(inner[1])] + [np.zeros_like(inner[1]) for _ in inner[1:]]
    power = inner
    for r in range(1, len(inner)):
        out = [o + outer[r] * p for o, p in zip(out, power, strict=True)]
        power = series_mul(power, inner)
    return out


def series_log(m: list[Array]) -> list[Array]:
    """log of a series with m[0] = 1, by l_n = m_n - sum_k (k / n) l_k m_(n-k)."""
    out = [np.zeros_like(m[0])]
    for n in range(1, len(m)):
        out.append(m[n] - sum((k / n) * out[k] * m[n - k] for k in range(1, n)))
    return out


def loss_series(p: Array, labels: NDArray[np.intp], directions: Array, inner: list[Array]) -> list[Array]:
    """Series in s of each sample's loss when the logits move by inner(s) * directions[c, :].

    p: (n, K) probabilities; directions: (C, K); inner: coefficients (n, C); result: (n, C) each.
    """
    moments = [np.ones((p.shape[0], directions.shape[0]))]
    moments += [p @ (directions.T ** r) / math.factorial(r) for r in range(1, SERIES_DEGREE + 1)]
    log_m = series_log(moments)  # log sum_k p_k exp(u v_k), as a series in u
    toward_true = directions[:, labels].T  # (n, C): v_c[t_b]
    psi = [np.zeros_like(toward_true), toward_true - log_m[1]] + [-lm for lm in log_m[2:]]
    p_true = p[np.arange(p.shape[0]), labels][:, None] * np.ones_like(toward_true)
    rho = sigmoid(np.log(p_true / CE_DELTA))  # -log(p e^u + delta) = -log(delta) - softplus(ell + u)
    softplus = sigmoid_series(rho, shift=1)  # softplus' = sigmoid
    return [-c for c in series_compose(series_compose(softplus, psi), inner)]


def difference_quotient(series: list[Array], basis: Array, w: Array) -> Array:
    """(mean_b L_b(w + d+) - mean_b L_b(w + d-)) / 2h with s = d * basis, for all weights w[i, c]."""
    d_plus, d_minus = (w + H) - w, (w - H) - w
    total = np.zeros_like(w)
    # Powers by repeated products, not pow(): their last-bit differences are far below the bound
    # (each term is a correction of relative size h^(m-1)); pow() was half the time of this function
    # and would move the result's last bits. Starting from 1 is exact: 1 * v == v.
    plus_m, minus_m, basis_m = 1.0, 1.0, 1.0
    for m in range(1, SERIES_DEGREE + 1):
        plus_m, minus_m, basis_m = plus_m * d_plus, minus_m * d_minus, basis_m * basis
        total += (plus_m - minus_m) * (basis_m.T @ series[m])
    return total / (2 * H * basis.shape[0])


def series_numerical_gradient(params: dict[str, Array], x: Array,
                              labels: NDArray[np.intp]) -> dict[str, Array]:
    """Central differences of the loss at w +- h for every weight, from one forward pass."""
    # Checked first: inputs this large would also overflow the forward pass below.
    scale = 2 * H * max(1.0, np.abs(x).max(initial=0.0)) * max(1.0, np.abs(params["W2"]).max(initial=0.0))
    if scale > SERIES_LIMIT:
        raise SeriesRangeError(f"inputs or weights too large for the series method (scale {scale:.3g})")
    a1 = x @ params["W1"] + params["b1"]
    z1 = sigmoid(a1)
    a2 = z1 @ params["W2"] + params["b2"]
    p = softmax(a2)
    n, k_out = p.shape
    hidden = loss_series(p, labels, params["W2"], sigmoid_series(z1))
    x1 = np.concatenate([x, np.ones((n, 1))], axis=1)  # b1 acts on an input of 1
    first = difference_quotient(hidden, x1, np.vstack([params["W1"], params["b1"]]))
    identity = [np.zeros((n, k_out)), np.ones((n, k_out))] + [np.zeros((n, k_out))] * (SERIES_DEGREE - 1)
    logits = loss_series(p, labels, np.eye(k_out), identity)
    second = difference_quotient(logits, np.concatenate([z1, np.ones((n, 1))], axis=1),
                                 np.vstack([params["W2"], params["b2"]]))
    return {"W1": first[:-1], "b1": first[-1], "W2": second[:-1], "b2": second[-1]}
