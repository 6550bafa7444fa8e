"""A portable random generator: MRG32k3a (L'Ecuyer 1999) whose streams R reproduces bit for bit."""

import numpy as np
from numpy.typing import NDArray

from python.suite.checks import require_count
from python.suite.errors import InputError

M1, M2 = 4294967087, 4294944443
A12, A13N, A21, A23N = 1403580, 810728, 527612, 1370589
NORM = 2.328306549295727688e-10  # 1 / (M1 + 1), as in L'Ecuyer's reference code
SEED_MULT1, SEED_MULT2, SEED_BASE = 69069, 1000003, 12345
WARM_UP = 8  # draws discarded so that neighbouring seeds start far apart
MAX_SEED = 2**31 - 1

# Wichura's AS241 (PPND16), the algorithm of R's qnorm, for the central and near-tail regions.
AS241_A = (3.3871328727963666080e0, 1.3314166789178437745e2, 1.9715909503065514427e3,
           1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
           3.3430575583588128105e4, 2.5090809287301226727e3)
AS241_B = (1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
           2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4,
           5.2264952788528545610e3)
AS241_C = (1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
           3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
           2.27238449892691845833e-2, 7.74545014278341407640e-4)
AS241_D = (1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
           1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
           1.05075007164441684324e-9)
AS241_E = (6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
           2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
           2.71155556874348757815e-5, 2.01033439929228813265e-7)
AS241_F = (1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
           7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
           2.04426310338993978564e-15)


def horner(coefs: tuple[float, ...], r: NDArray[np.float64]) -> NDArray[np.float64]:
    """Evaluate sum(coefs[i] * r**i) from the highest power down, one IEEE operation at a time."""
    acc = np.full_like(r, coefs[-1])
    for c in coefs[-2::-1]:
        acc = acc * r + c
    return acc


def qnorm_as241(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard normal quantile of p in (0, 1) by AS241: 6.14 ULP at worst on the generator's uniforms."""
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    central = np.abs(q) <= 0.425
    r = 0.180625 - q * q
    z_central = q * horner(AS241_A, r) / horner(AS241_B, r)
    r = np.sqrt(-np.log(np.where(q < 0, p, 1.0 - p)))
    near = r <= 5.0
    r_near, r_far = r - 1.6, r - 5.0
    z_tail = np.where(near, horner(AS241_C, r_near) / horner(AS241_D, r_near),
                      horner(AS241_E, r_far) / horner(AS241_F, r_far))
    z_tail = np.where(q < 0, -z_tail, z_tail)
    return np.where(central, z_central, z_tail)


class Rng:
    """MRG32k3a stream: uniform(n), normal(n) and integers(high, n), identical in Python and R."""

    def __init__(self, seed: int) -> None:
        """Map an integer seed in 0..2**31-1 to the six-word state, then warm up."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
            raise InputError(f"seed must be an integer in 0..{MAX_SEED}, got {seed!r}")
        seed = int(seed)
        self.s1 = [(SEED_BASE + seed * SEED_MULT1 * (j + 1)) % M1 for j in range(3)]
        self.s2 = [(SEED_BASE + seed * SEED_MULT2 * (j + 1)) % M2 for j in range(3)]
        self.next_counts(WARM_UP)

    @classmethod
    def from_state(cls, s1: list[int], s2: list[int]) -> "Rng":
        """A generator at a raw state (no seeding, no warm-up), e.g. L'Ecuyer's all-12345 state."""
        rng = cls.__new__(cls)
        rng.s1, rng.s2 = list(s1), list(s2)
        return rng

    def next_counts(self, n: int) -> list[int]:
        """Advance n steps; return the integer outputs 1..M1 of which uniforms are k * NORM."""
        s10, s11, s12 = self.s1
        s20, s21, s22 = self.s2
        out = []
        for _ in range(n):
            p1 = (A12 * s11 - A13N * s10) % M1
            s10, s11, s12 = s11, s12, p1
            p2 = (A21 * s22 - A23N * s20) % M2
            s20, s21, s22 = s21, s22, p2
            out.append(p1 - p2 if p1 > p2 else p1 - p2 + M1)
        self.s1, self.s2 = [s10, s11, s12], [s20, s21, s22]
        return out

    def uniform(self, n: int) -> NDArray[np.float64]:
        """N uniforms in the open interval (0, 1)."""
        n = require_count(n, "n", minimum=0)
        return np.array(self.next_counts(n), dtype=np.float64) * NORM

    def normal(self, n: int) -> NDArray[np.float64]:
        """N standard normals by inversion of n uniforms."""
        return qnorm_as241(self.uniform(n))

    def integers(self, high: int, n: int) -> NDArray[np.int64]:
        """N integers in 0..high-1, drawn with replacement, as floor(u * high)."""
        if isinstance(high, bool) or not isinstance(high, (int, np.integer)) or not 1 <= high <= 2**31:
            raise InputError(f"high must be an integer in 1..2**31, got {high!r}")
        return np.floor(self.uniform(n) * high).astype(np.int64)
