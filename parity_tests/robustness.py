"""The robustness table: what the tests fed each language and how it answered (build/robustness/*.json).

`make test` prints it last; the README quotes it. Exits 1 if a record is missing or shows a failure.
"""

import json
import sys
from pathlib import Path

RECORDS = Path(__file__).resolve().parents[1] / "build" / "robustness"
LANGUAGES = ("python", "r")
# Records written in parts, one per test module: their totals are summed, and every part must be there.
PARTS = {"properties": {"python": ("functions", "net", "cross_language"),
                        "r": ("functions", "gradients", "net")}}


def load(name: str, language: str) -> dict:
    """One record (the sum of its parts), or {} if a test that writes it did not run."""
    parts = PARTS.get(name, {}).get(language)
    if parts:
        records = [load(f"{name}_{part}", language) for part in parts]
        if not all(records):
            return {}
        return {"total": {k: sum(r["total"][k] for r in records) for k in records[0]["total"]}}
    path = RECORDS / f"{name}_{language}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def catalogue(r: dict) -> tuple[str, bool]:
    """The bad-input catalogue's cell, and whether every case was refused as listed."""
    return f"{r['refused_as_listed']} of {r['cases']} refused as listed", r["refused_as_listed"] == r["cases"]


def cli(r: dict) -> tuple[str, bool]:
    """The command-line catalogue's cell."""
    return f"{r['clear_errors']} of {r['cases']}: exit 2, one line", r["clear_errors"] == r["cases"] > 0


def generated(r: dict) -> tuple[str, bool]:
    """A property or fuzz record's cell: inputs tried, results, clear errors, anything else."""
    t = r.get("total", r)
    tried = t.get("tried", t.get("mutations"))
    valid = t.get("valid", t.get("results"))
    return (f"{tried} tried: {valid} results, {t['clear_errors']} clear errors, "
            f"{t['other_failures']} other", t["other_failures"] == 0 and valid + t["clear_errors"] == tried)


def kills(r: dict) -> tuple[str, bool]:
    """The kill test's cell."""
    return (f"{r['kills']} kills ({r['sigkill']} SIGKILL, {r['sigint']} SIGINT): "
            f"{r['resumed_identical']} resumed byte-identical, {r['files_lost']} files lost",
            r["files_lost"] == 0 and not r.get("failures") and r["resumed_identical"] == r["runs"])


ROWS = [("bad calls of every public function (`fixtures/bad_inputs.json`)", "bad_inputs", catalogue),
        ("bad flags and damaged data files, both CLIs (`fixtures/bad_cli.json`)", "bad_cli", cli),
        ("property-based inputs", "properties", generated),
        ("IDX reader fuzz (truncations, byte flips, headers)", "fuzz_idx", generated),
        ("fixture reader fuzz (bytes, JSON structure)", "fuzz_fixtures", generated),
        ("training killed at random moments, then resumed", "kill", kills)]


def main() -> int:
    """Print the Markdown table, then the problems found (missing records, failures); 1 if any."""
    print("| check | Python | R |\n|---|---|---|")
    problems = []
    for label, name, cell in ROWS:
        cells = []
        for language in LANGUAGES:
            record = load(name, language)
            if not record:
                problems.append(f"no record {name}_{language}.json: run make test")
                cells.append("not run")
                continue
            text, ok = cell(record)
            cells.append(text if ok else f"**{text}**")
            if not ok:
                problems.append(f"{name} ({language}): {text}")
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    for problem in problems:
        print(f"FAIL {problem}")
    print(f"robustness: {len(ROWS) * len(LANGUAGES) - len(problems)} of {len(ROWS) * len(LANGUAGES)} "
          "records clean")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
