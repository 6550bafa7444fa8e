"""One embedded R for the whole pytest session, and one parity run over every fixture case."""

import pytest

from parity_tests.r_bridge import RBridge, SetupError
from parity_tests.run import ROOT, ParityResult, run_parity


@pytest.fixture(scope="session")
def r_bridge() -> RBridge:
    """R with this checkout's r/ loaded; a missing R, package or rpy2 fails with what to install."""
    try:
        return RBridge.get(ROOT)
    except SetupError as exc:
        pytest.fail(f"the parity tests need R through rpy2:\n{exc}")


@pytest.fixture(scope="session")
def parity(r_bridge: RBridge) -> ParityResult:
    """Every fixture case in both languages (the training comparison has its own test)."""
    return run_parity(ROOT, training=False)
