"""`make mutants`: plausible wrong lines, one at a time on a temporary copy; each must fail the parity run."""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = Path(__file__).with_name("mutants.json")
COPIED = ("python", "r", "parity_tests")  # fixtures/ is a link to the checkout's: no mutant writes to it
CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)


class MutantError(ValueError):
    """The mutant list is malformed or stale (a find string missing or ambiguous)."""


@dataclass
class Mutant:
    """One exact-substring substitution and the fixture functions whose code reaches it."""

    id: str
    language: str
    file: str
    find: str
    replace: str
    description: str
    functions: list[str]
    runs: int = 1


def load_mutants(path: Path = MUTANTS, root: Path = ROOT) -> list[Mutant]:
    """The mutants, after checking each find string occurs exactly once in its file (all problems at once)."""
    problems, mutants = [], []
    for entry in json.loads(path.read_text())["mutants"]:
        try:
            mutant = Mutant(**entry)
        except TypeError as exc:  # a field missing or unknown
            problems.append(f"{entry.get('id', entry)}: {exc}")
            continue
        target = root / mutant.file
        count = target.read_text().count(mutant.find) if target.is_file() else -1
        if count != 1:
            problems.append(f"{mutant.id}: find string occurs {count} times in {mutant.file}"
                            if count >= 0 else f"{mutant.id}: {mutant.file} does not exist")
        mutants.append(mutant)
    ids = [m.id for m in mutants]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise MutantError("stale or malformed mutants in " + str(path) + ":\n  " + "\n  ".join(problems))
    return mutants


def make_copy(base: Path, dest: Path) -> None:
    """A checkout copy: code directories copied, fixtures/ a symbolic link to the base's."""
    for name in COPIED:
        shutil.copytree(base / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "build"))
    (dest / "fixtures").symlink_to((base / "fixtures").resolve())


def cheap_first(functions: list[str], fixtures: Path) -> list[str]:
    """Functions ordered by the size of their fixture file, so --fail-fast usually stops early."""
    files = json.loads((fixtures / "manifest.json").read_text())["files"]
    return sorted(functions, key=lambda f: (fixtures / files[f]["path"]).stat().st_size if f in files else 0)


def run_parity(copy: Path, functions: list[str], fail_fast: bool = True) -> dict:
    """`python -m parity_tests.run` on the copy (its python/ and r/), restricted to these functions."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "parity_tests.run", "--root", str(copy), "--quiet", "--no-training",
               "--out", str(copy / "build"), "--functions", *cheap_first(functions, copy / "fixtures")]
    if fail_fast:
        command.append("--fail-fast")
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    closing = CLOSING.findall(proc.stdout)
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL ")]
    return {"rc": proc.returncode, "failed": int(closing[-1][1]) if closing else None, "fails": fails,
            "seconds": time.perf_counter() - start, "stderr": proc.stderr.strip().splitlines()[-3:]}


def outcome(run: dict) -> str:
    """'caught' when the parity run reports failures, 'survived' when it passes, 'error' otherwise."""
    if run["rc"] == 1 and run["failed"]:
        return "caught"
    return "survived" if run["rc"] == 0 and run["failed"] == 0 else "error"


def run_mutant(mutant: Mutant, base: Path, work: Path) -> dict:
    """Apply one mutant to a fresh copy and run parity `runs` times; caught only if every run fails."""
    copy = work / re.sub(r"[^A-Za-z0-9_.-]", "_", mutant.id)
    make_copy(base, copy)
    target = copy / mutant.file  # load_mutants checked that the find string occurs once
    target.write_text(target.read_text().replace(mutant.find, mutant.replace))
    runs = [run_parity(copy, mutant.functions) for _ in range(mutant.runs)]
    shutil.rmtree(copy, ignore_errors=True)
    outcomes = [outcome(r) for r in runs]
    first = next((r for r in runs if r["fails"]), runs[0])
    verdict = "caught" if all(o == "caught" for o in outcomes) else \
        "error" if "error" in outcomes else "SURVIVED"
    detail = first["fails"][0][5:] if first["fails"] else " | ".join(first["stderr"])
    return {"mutant": mutant.id, "language": mutant.language, "file": mutant.file,
            "functions": len(mutant.functions), "caught": f"{outcomes.count('caught')}/{len(runs)}",
            "verdict": verdict,
            "seconds": round(sum(r["seconds"] for r in runs), 1), "first failure": detail[:110]}


def main(argv: list[str] | None = None) -> int:
    """Baseline must pass; then every mutant (in parallel) must be caught. Exit 1 if one survives."""
    parser = argparse.ArgumentParser(prog="python -m parity_tests.mutants", description=__doc__)
    parser.add_argument("--only", nargs="+", help="run only these mutant ids")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        mutants = [m for m in load_mutants() if not args.only or m.id in args.only]
    except MutantError as exc:
        print(f"mutants: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="parity-mutants-") as tmp:
        base = Path(tmp) / "base"
        make_copy(ROOT, base)
        functions = sorted({f for m in mutants for f in m.functions})
        baseline = run_parity(base, functions, fail_fast=False)
        if outcome(baseline) != "survived":
            print("mutants: the unmutated copy does not pass parity, so no mutant can be judged:\n  "
                  + "\n  ".join(baseline["fails"][:5] + baseline["stderr"]), file=sys.stderr)
            return 2
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(lambda m: run_mutant(m, base, Path(tmp)), mutants))
    table = pd.DataFrame(rows)
    table["first failure"] = table["first failure"].str.ljust(110)
    with pd.option_context("display.max_colwidth", 110, "display.width", 250):
        print(table.to_string(index=False))
    bad = [r["mutant"] for r in rows if r["verdict"] != "caught"]
    print(f"baseline (unmutated copy, {len(functions)} functions) passed in {baseline['seconds']:.1f} s")
    print(f"wall time {time.perf_counter() - start:.1f} s ({args.jobs} parallel jobs)")
    if bad:
        print(f"not caught: {', '.join(bad)}")
    print(f"{len(rows) - len(bad)} caught, {len(bad)} survived or errored")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
