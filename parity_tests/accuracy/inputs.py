"""The inputs of the dense check: a fixed seed, the whole float64 range and the regions where errors hide."""

import numpy as np

from python.rng import Rng

SEED = 20261205
LN2 = float(np.log(2.0))
# Points reported by the audit in issue 13, always checked.
AUDIT_X = np.array([-9.01087099753617])
AUDIT_U = np.array([0.6898150296140291])


def log_uniform(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """n magnitudes 10**U(lo, hi) with random signs."""
    return rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(lo, hi, n)


def near(rng: np.random.Generator, centres: np.ndarray, n: int) -> np.ndarray:
    """n points at relative distances 10**U(-16, -3) on either side of randomly chosen centres."""
    c = rng.choice(centres, n)
    return c * (1.0 + log_uniform(rng, n, -16, -3))


def edge(rng: np.random.Generator, centres: np.ndarray, n: int) -> np.ndarray:
    """n points within about 2**-j of the j-th centre (j = 1..len(centres)), mostly above it, random signs.

    For x = -j ln2 + d, exp(x) ~ 2**-j (1 + d): the band 0 < d < 2**-j is where sigmoid(x) ~ e - e**2 lies
    just below 2**-j, so that the rounding of 1 + e and of exp are worth a whole ULP of the result each.
    """
    j = rng.integers(1, centres.size + 1, n)
    d = rng.uniform(-0.5, 1.0, n) * 2.0 ** -j * 10.0 ** rng.uniform(-2, 0.5, n)
    return rng.choice([-1.0, 1.0], n) * (centres[j - 1] - d)


def elementwise(n: int) -> dict[str, np.ndarray]:
    """Inputs of sigmoid and sigmoid_grad by region; about n in all."""
    rng = np.random.default_rng(SEED)
    j = np.arange(1.0, 1075.0)
    j60 = np.arange(1.0, 61.0)
    share = {"whole_range": 0.2, "moderate": 0.2, "negative_tail": 0.1, "exp_near_power_of_2": 0.2,
             "result_near_power_of_2": 0.1, "subnormal_band": 0.1, "branch_at_0": 0.05, "extremes": 0.05}
    m = {k: int(v * n) for k, v in share.items()}
    bits = rng.integers(0, 2**64, m["whole_range"] // 2, dtype=np.uint64).view(np.float64)
    extremes = np.concatenate([rng.uniform(36.0, 40.0, m["extremes"] // 4),
                               -rng.uniform(708.0, 750.0, m["extremes"] // 4),
                               log_uniform(rng, m["extremes"] // 2, 300, np.log10(1.7976931348623157e308))])
    return {"whole_range": np.concatenate([bits[np.isfinite(bits)],
                                           log_uniform(rng, m["whole_range"] // 2, -323.5, 308.25)]),
            "moderate": rng.uniform(-40.0, 40.0, m["moderate"]),
            "negative_tail": -rng.uniform(36.0, 746.0, m["negative_tail"]),
            # exp(-|x|) just above or below 2**-j: the rounding of 1 + e is largest relative to the result.
            "exp_near_power_of_2": np.concatenate([
                edge(rng, j60 * LN2, m["exp_near_power_of_2"] // 2),
                rng.choice([-1.0, 1.0], m["exp_near_power_of_2"] // 2)
                * near(rng, j * LN2, m["exp_near_power_of_2"] // 2)]),
            # sigmoid(x) = 2**-j at x = -log(2**j - 1), sigmoid_grad(x) = 2**-j near -log(2**j - 2): the
            # results' own binade edges.
            "result_near_power_of_2": np.concatenate([
                edge(rng, j60 * LN2 + np.log1p(-(2.0 ** -j60)), m["result_near_power_of_2"] // 2),
                edge(rng, j60[1:] * LN2 + np.log1p(-(2.0 ** (1 - j60[1:]))),
                     m["result_near_power_of_2"] // 2)]),
            "subnormal_band": -rng.uniform(708.3, 745.2, m["subnormal_band"]),
            "branch_at_0": np.concatenate([log_uniform(rng, m["branch_at_0"] - 4, -323.9, 0),
                                           [0.0, -0.0, 5e-324, -5e-324]]),
            "extremes": np.concatenate([extremes, [1.7976931348623157e308, -1.7976931348623157e308]]),
            "audit": AUDIT_X}


def stream_uniforms(n_seeds: int, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """The generator's own uniforms: `draws` from each of n_seeds random seeds, (seeds, u[seed, draw])."""
    rng = np.random.default_rng(SEED + 1)
    seeds = rng.integers(0, 2**31, n_seeds)  # the small form's seeds are the first of the full form's
    return seeds, np.stack([Rng(int(s)).uniform(draws) for s in seeds])


def softmax_rows(n_elements: int) -> list[np.ndarray]:
    """Matrices of rows, one per (length, scale): logits N(0, scale), about n_elements in all."""
    rng = np.random.default_rng(SEED + 2)
    out = []
    lengths, scales = (1, 2, 3, 10, 100, 1000), (1e-3, 1.0, 10.0, 100.0, 1000.0)
    for k in lengths:
        for s in scales:
            rows = max(1, n_elements // (len(lengths) * len(scales) * k))
            out.append(rng.normal(0.0, s, (rows, k)) + rng.normal(0.0, s, (rows, 1)))
    return out


def cross_entropy_batches(n_picks: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(y, labels) batches: softmax-like rows of several sharpness, sizes 1 to 1000, about n_picks labels."""
    rng = np.random.default_rng(SEED + 3)
    out = []
    sizes, classes, sharpness = (1, 10, 100, 1000), (2, 10, 100), (0.1, 1.0, 10.0, 40.0)
    for n in sizes:
        per = max(2, n_picks // (len(sizes) * len(classes) * len(sharpness) * max(n, 100)))
        for k in classes:
            for s in sharpness:
                for _ in range(per):
                    z = rng.normal(0.0, s, (n, k))
                    y = np.exp(z - z.max(axis=1, keepdims=True))
                    out.append((y / y.sum(axis=1, keepdims=True), rng.integers(0, k, n)))
    return out
