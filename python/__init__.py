"""Deep Learning from Scratch, chapter 4: the building blocks, checked against exact values."""

import os
import platform
import sys

# numpy's AVX-512 exp and log differ from the C library's, which R calls, in the last bit of about 5%
# of results (measured: 92,835 of 2,000,001 exp inputs); on its AVX2 paths numpy calls the C library,
# so both languages share every bit. The switch only works before numpy loads; a user's setting wins.
if "numpy" not in sys.modules and platform.machine() in ("x86_64", "AMD64"):
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")
