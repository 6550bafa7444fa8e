"""Shared by the fuzz tests of the readers (issue 8): the tally of outcomes, the verdict on one call, byte
mutations.

Every mutation must give a result that is consistent with the mutated file, or the project's error
(DataFileError / FixtureError) naming the file; anything else (another exception type, a warning,
a message without the file) is an "other failure". The counts are fixed (not time-based) and go to
build/robustness/fuzz_idx_python.json and fuzz_fixtures_python.json for the README's table.
r/tests/testthat/test-fuzz_*.R do the same in R.
"""

import json
import random
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "robustness"
SEED = 20250808


class Tally:
    """Outcomes per operator; failures keep a description of each (the test prints the first ones)."""

    def __init__(self) -> None:
        self.by_operator: dict[str, Counter] = {}
        self.failures: list[str] = []

    def add(self, operator: str, outcome: str, detail: str = "") -> None:
        self.by_operator.setdefault(operator, Counter())[outcome] += 1
        if outcome == "other_failure":
            self.failures.append(f"{operator}: {detail}")

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.by_operator.values())

    def write(self, name: str, extra: dict) -> None:
        tried = sum(sum(c.values()) for c in self.by_operator.values())
        record = {"reader": name, "language": "python", "seed": SEED, **extra, "mutations": tried,
                  "results": self.total("result"), "clear_errors": self.total("clear_error"),
                  "other_failures": self.total("other_failure"),
                  "by_operator": {k: dict(sorted(v.items())) for k, v in sorted(self.by_operator.items())},
                  "failures": self.failures[:20]}
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = OUT / f".fuzz_{name}_python.json.tmp"
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        tmp.replace(OUT / f"fuzz_{name}_python.json")


def outcome_of(call: Any, error_type: type, named: str) -> tuple[str, Any]:
    """('result', value), ('clear_error', message) or ('other_failure', why) for call()."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = call()
        except error_type as err:
            if named not in str(err):
                return "other_failure", f"message does not name {named}: {err}"
            return ("other_failure", f"warning {caught[0].message}") if caught else ("clear_error", str(err))
        except Exception as err:  # the point: anything else is a failure
            return "other_failure", f"{type(err).__name__}: {err}"
    if caught:
        return "other_failure", f"warning {caught[0].message}"
    return "result", value


def flip(raw: bytes, rng: random.Random, n: int, bit: bool = False) -> bytes:
    """raw with n random bytes changed (each XORed with a non-zero byte, or with one bit if bit)."""
    out = bytearray(raw)
    for _ in range(n):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8) if bit else rng.randint(1, 255)
    return bytes(out)


def mutate_bytes(raw: bytes, rng: random.Random, op: str) -> bytes:
    """One byte-level mutation: truncate (to any length, 0 included), flip 1-4, insert 1-4, append."""
    if op == "truncate":
        return raw[:rng.randrange(len(raw))]
    if op == "flip":
        return flip(raw, rng, rng.randint(1, 4))
    extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    if op == "insert":
        at = rng.randrange(len(raw) + 1)
        return raw[:at] + extra + raw[at:]
    return raw + extra  # append
