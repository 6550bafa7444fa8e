import pytest

from python.suite.fixtures_io import functions, load_cases
from python.suite.tolerance import load_policy

ALL_CASES = [(fn, case) for fn in functions() for case in load_cases(fn)]


@pytest.fixture(scope="session")
def policy():
    return load_policy()


def case_params():
    return [pytest.param(fn, case, id=f"{fn}:{case['id']}") for fn, case in ALL_CASES]
