"""The dense accuracy check (`make accuracy`): each accuracy claim measured on 10^6 inputs, both languages."""

import python  # noqa: F401  (first: it keeps numpy off its AVX-512 exp and log, as in every target)
