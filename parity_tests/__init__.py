"""The live cross-language checks: `make parity`, `make mutants`, `make accuracy`, the robustness table."""

import python  # noqa: F401  (first: it keeps numpy off its AVX-512 exp and log, as in every target)
