"""pytest loads this conftest first: python/__init__.py must run before numpy loads (README, make parity)."""

import python  # noqa: F401
