"""`make parity`: every fixture case in Python and in R (one embedded R), against exact and each other."""

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python
from parity_tests import report
from parity_tests.bad_inputs_section import bad_input_rows
from parity_tests.compare import case_row
from parity_tests.gradcheck import BACKPROP, NUMERICAL, gradcheck_rows
from parity_tests.r_bridge import CaseError, RBridge, SetupError
from parity_tests.training_parity import INFO, training_rows
from python.suite.cases import run_case
from python.suite.fixtures_io import FixtureError, load_cases
from python.suite.fixtures_io import functions as fixture_functions
from python.suite.tolerance import load_policy

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = {  # the sections printed after the case table, by their ParityResult field
    "gradcheck": "Gradient check (ch05): max |backprop gradient - numerical_gradient| per language; bound "
                 "= 1e-7 guard effect delta/(p_min+delta)*G + h^2*G^3 (parity_tests/gradcheck.py)",
    "training": "Training comparison (parity_tests/training_parity.py: python/train.py vs r/train.R, "
                "same seed and flags)",
    "bad_inputs": "Bad inputs (fixtures/bad_inputs.json): each case must raise the listed project error "
                  "in both languages, with the same class"}


@dataclass
class ParityResult:
    """All rows of one parity run, and the notes printed with them."""

    rows: list[dict] = field(default_factory=list)
    gradcheck: list[dict] = field(default_factory=list)
    training: list[dict] = field(default_factory=list)
    bad_inputs: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """One line per failed comparison, naming the case, the comparison and the miss."""
        return (report.case_failures(self.rows)
                + report.section_failures(self.gradcheck, self.training, self.bad_inputs))

    def counts(self) -> tuple[int, int]:
        """(passed, failed) over case rows, gradient checks and training checks."""
        checked = self.rows + self.gradcheck + self.training + self.bad_inputs
        verdicts = [r["verdict"] for r in checked if r["verdict"] != INFO]
        failed = sum(v != "pass" for v in verdicts)
        return len(verdicts) - failed, failed


def python_results(function: str, cases: list[dict]) -> dict[str, Any]:
    """Python's result for each case (an exception becomes a CaseError for that case only)."""
    out: dict[str, Any] = {}
    for case in cases:
        try:
            out[case["id"]] = run_case(function, case)
        except Exception as exc:  # the table reports it; one broken case must not hide the others
            out[case["id"]] = CaseError(f"Python {type(exc).__name__}: {exc}")
    return out


def r_results(bridge: RBridge, function: str, fixtures: Path, ids: list[str]) -> dict[str, Any]:
    """R's result for each case, from one R call; ids R did not return become CaseErrors."""
    pairs = bridge.run_function(function, fixtures)
    if pairs and pairs[0][0] == "*":
        return dict.fromkeys(ids, pairs[0][1])
    got = dict(pairs)
    if [k for k, _ in pairs] != ids:
        missing = CaseError(f"R returned case ids {[k for k, _ in pairs]}, Python read {ids}")
        return {i: got.get(i, missing) for i in ids}
    return got


def run_parity(root: Path = ROOT, fixtures: Path | None = None, functions: list[str] | None = None,
               training: bool = True, fail_fast: bool = False) -> ParityResult:
    """Compare every case of the chosen functions (all by default); the gradient and training checks."""
    fixtures = fixtures or root / "fixtures"
    bridge = RBridge.get(root)
    policy = load_policy(fixtures)
    result, cases, py, r = ParityResult(), {}, {}, {}
    for function in functions or fixture_functions(fixtures):
        cases[function] = load_cases(function, fixtures)  # a FixtureError names an unknown function
        ids = [c["id"] for c in cases[function]]
        py[function] = python_results(function, cases[function])
        r[function] = r_results(bridge, function, fixtures, ids)
        result.rows += [case_row(function, c, py[function][c["id"]], r[function][c["id"]], policy)
                        for c in cases[function]]
        if fail_fast and result.counts()[1]:
            result.notes.append(f"note: --fail-fast: stopped after {function}")
            return result
    console = "".join(bridge.console).strip()
    if console:  # R warnings (e.g. recycling) are worth seeing even when every case passes
        result.notes.append("note: R printed: " + " | ".join(console.splitlines()[:5]))
    bridge.console.clear()
    if BACKPROP in cases and any(fn.startswith(NUMERICAL) for fn in cases):
        result.gradcheck = gradcheck_rows(cases, py, r)
    if functions is None:  # the whole catalogue: no per-function selection
        result.bad_inputs = bad_input_rows(bridge, fixtures)
    if training and functions is None:
        result.training = training_rows()
    return result


def print_report(result: ParityResult, out_dir: Path, quiet: bool) -> None:
    """The tables, the per-function summary and the failures; files under out_dir."""
    if not quiet:
        print(report.case_table(result.rows).to_string(index=False))
        for name, title in SECTIONS.items():
            if getattr(result, name):
                print(f"\n{title}\n{report.section_table(getattr(result, name)).to_string(index=False)}")
        print("\nPer function")
        print(report.summary_table(result.rows).to_string(index=False))
        print("\n" + report.accuracy_section(out_dir.parent / "accuracy"))
    for line in result.notes + result.failures():
        print(line)
    passed, failed = result.counts()
    tables = {"parity": result.rows, **{name: getattr(result, name) for name in SECTIONS}}
    paths = report.write(out_dir, tables, {"passed": passed, "failed": failed, "failures": result.failures()})
    if not quiet:
        print(f"wrote {', '.join(str(p) for p in paths)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m parity_tests.run", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to run (r/ sourced from it)")
    parser.add_argument("--fixtures", type=Path, help="fixtures directory (default: ROOT/fixtures)")
    parser.add_argument("--functions", nargs="+", help="only these fixture functions (no training check)")
    parser.add_argument("--no-training", action="store_true", help="skip the training comparison")
    parser.add_argument("--out", type=Path, help="where the JSON/CSV go (default: ROOT/build/parity)")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the closing line")
    parser.add_argument("--fail-fast", action="store_true", help="stop after the first function that fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run, print, write; exit 0 if everything passed, 1 on any failure, 2 if it could not run."""
    start = time.perf_counter()
    args = parse_args(argv)
    root = args.root.resolve()
    imported = Path(python.__file__).resolve().parents[1]
    if imported != root:
        print(f"parity: python/ is imported from {imported} but --root is {root}; run from the root: "
              f"cd {root} && python -m parity_tests.run", file=sys.stderr)
        return 2
    try:
        result = run_parity(root, args.fixtures, args.functions, not args.no_training, args.fail_fast)
    except (SetupError, FixtureError) as exc:
        print(f"parity: cannot run: {exc}", file=sys.stderr)
        return 2
    print_report(result, args.out or root / "build" / "parity", args.quiet)
    passed, failed = result.counts()
    print(f"wall time {time.perf_counter() - start:.1f} s (one R session, one R call per function)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
