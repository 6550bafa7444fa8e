"""numpy's exp and log are the C library's (python/__init__.py keeps numpy off its AVX-512 paths)."""

import math

import numpy as np

import python  # noqa: F401  (the pin is set on import, before numpy loads)


def test_numpy_exp_and_log_are_the_c_librarys_bit_for_bit():
    x = np.linspace(-745.0, 709.0, 200_001)
    assert np.array_equal(np.exp(x), np.array([math.exp(v) for v in x]))
    pos = np.abs(x) + 1e-300
    assert np.array_equal(np.log(pos), np.array([math.log(v) for v in pos]))
