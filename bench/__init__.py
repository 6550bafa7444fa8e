"""`make bench`: speed as ratios; every process it measures runs one BLAS thread, set before numpy loads."""

import os

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Forced, not defaulted: the ratios compare languages under the same setting, and the subprocesses
# (Rscript, the training CLIs, the plain loop) inherit it from this environment.
os.environ.update(dict.fromkeys(BLAS_THREAD_VARS, "1"))

import python  # noqa: E402, F401  (its __init__ keeps numpy off AVX-512, also before numpy loads)
