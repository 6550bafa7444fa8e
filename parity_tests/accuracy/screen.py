"""The cheap screen: references in x87 long double (64-bit significand, 11 bits beyond float64).

Their own error is a few 2**-64 relative, about 0.001 float64 ULP: enough to rank every input so that
the exact reference (exact.py) only has to decide the worst few thousand.
"""

import ctypes
import ctypes.util

import numpy as np

from python.suite.tolerance import ulp

LD = np.longdouble


class _LongDouble(ctypes.c_longdouble):
    """A c_longdouble subclass: ctypes returns it as is instead of rounding the result to a float."""


_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
for _f in (_LIBM.erfl, _LIBM.erfcl):  # long double in and out, as _LongDouble
    _f.restype, _f.argtypes = _LongDouble, [_LongDouble]


def _apply(f: ctypes._CFuncPtr, a: np.ndarray) -> np.ndarray:
    """f on every element of a long double array, without rounding anything to float64."""
    a = np.ascontiguousarray(a, dtype=LD)
    out = np.empty_like(a)
    size = a.itemsize
    for i in range(a.size):
        ctypes.memmove(out.ctypes.data + size * i, ctypes.addressof(f(_LongDouble.from_buffer(a, size * i))),
                       size)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in long double, through exp(-|x|) so that neither branch overflows."""
    e = np.exp(-np.abs(x.astype(LD)))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """exp(-|x|) / (1 + exp(-|x|))**2 in long double (the derivative is even)."""
    e = np.exp(-np.abs(x.astype(LD)))
    return e / (1 + e) ** 2


def normal_quantile(u: np.ndarray, z0: np.ndarray) -> np.ndarray:
    """The standard normal quantile of u: one Newton step in long double from the float64 estimate z0.

    The residual is formed without cancellation: Phi(z) - 1/2 = erf(z/sqrt2)/2 against u - 1/2 (exact
    for u >= 1/4) in the centre, the tail probability erfc(|z|/sqrt2)/2 against min(u, 1 - u) outside.
    """
    z = z0.astype(LD)
    root2 = np.sqrt(LD(2))
    centre = np.abs(u - 0.5) <= 0.25
    tail = np.where(u < 0.5, u, 1.0 - u).astype(LD)
    residual = np.where(centre, _apply(_LIBM.erfl, z / root2) / 2 - (u - 0.5).astype(LD),
                        np.sign(z) * (tail - _apply(_LIBM.erfcl, np.abs(z) / root2) / 2))
    density = np.exp(-z * z / 2) / np.sqrt(2 * LD(np.pi))
    return z - residual / density


def ulp_error(got: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|got - reference| in ULPs of the reference rounded to float64."""
    unit = ulp(reference.astype(np.float64)).astype(LD)
    return (np.abs(got.astype(LD) - reference) / unit).astype(np.float64)
