"""The parity tables (pandas): printed, summarised per function, written as JSON and CSV."""

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from parity_tests.compare import COMPARISONS

if TYPE_CHECKING:
    import pandas as pd


def fmt(value: float, unit: str = "abs") -> str:
    """A number for the table: 0, inf, ULPs with 3 digits, absolute errors in e-notation."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "inf"
    return f"{value:.3g}" if unit == "ulp" else f"{value:.2e}"


def case_table(rows: list[dict]) -> "pd.DataFrame":
    """The printed case table: one row per case, errors in the unit of the case's class."""
    import pandas as pd  # only when printing: quiet runs (make mutants) skip its import time

    return pd.DataFrame([{"function": r["function"], "case": r["case"], "unit": r["unit"],
                          **{label: fmt(r[name], r["unit"]) for name, label in COMPARISONS.items()},
                          "digits py/R": f"{r['digits_py']:.1f}/{r['digits_r']:.1f}",
                          "tolerance": fmt(r["bound"], r["unit"]), "ratio": fmt(r["ratio"], "ulp"),
                          "verdict": r["verdict"]} for r in rows])


def max_by_unit(rows: list[dict], name: str) -> str:
    """Largest error of one comparison over rows, per unit ('3 ulp', '1.2e-17 abs', or both)."""
    parts = []
    for unit in dict.fromkeys(r["unit"] for r in rows):
        errors = [r[name] for r in rows if r["unit"] == unit]
        worst = min(errors) if unit == "min|x|" else max(errors)  # for a divergence floor, the least
        parts.append(f"{fmt(worst, unit)} {unit}")
    return "; ".join(parts)


def summary_table(rows: list[dict]) -> "pd.DataFrame":
    """One line per function: cases, passed, failed, max error of each comparison, worst ratio, digits."""
    import pandas as pd

    lines = []
    for function in dict.fromkeys(r["function"] for r in rows):
        mine = [r for r in rows if r["function"] == function]
        line = {"function": function, "cases": len(mine),
                "failed": sum(r["verdict"] != "pass" for r in mine)}
        line.update({f"max {label}": max_by_unit(mine, name) for name, label in COMPARISONS.items()})
        line["worst ratio"] = fmt(max(r["ratio"] for r in mine), "ulp")
        line["min digits"] = f"{min(min(r['digits_py'], r['digits_r']) for r in mine):.1f}"
        lines.append(line)
    return pd.DataFrame(lines)


def section_table(rows: list[dict]) -> "pd.DataFrame":
    """A section's rows as printed: floats formatted (a ratio with 3 digits), the list of misses left out."""
    import pandas as pd

    return pd.DataFrame([{k: fmt(v, "ulp" if k == "ratio" else "abs") if isinstance(v, float) else v
                          for k, v in r.items() if k != "misses"} for r in rows])


def case_failures(rows: list[dict]) -> list[str]:
    """For each failed comparison: the case, which comparison, by how much it missed, where."""
    out = []
    for r in rows:
        for name, label in COMPARISONS.items():
            if r[f"{name}_passed"]:
                continue
            ratio, unit, where = r[f"{name}_ratio"], r["unit"], r[f"{name}_where"]
            head = f"FAIL {r['function']} {r['case']}: {label}"
            if math.isfinite(ratio) or ": got " in where:
                how = (f"missed by {fmt(ratio, 'ulp')}x the bound" if math.isfinite(ratio)
                       else "bits differ" if r[f"{name}_bound"] == 0 else "non-finite where finite expected")
                out.append(f"{head} {how} (error {fmt(r[name], unit)} {unit}, bound "
                           f"{fmt(r[f'{name}_bound'], unit)} {unit}) at {where}")
            else:  # an error, a shape or key mismatch, a non-finite value where a finite one belongs
                out.append(f"{head} failed: {where}")
    return out


def section_failures(gradcheck: list[dict], training: list[dict], bad_inputs: list[dict]) -> list[str]:
    """Failed gradient checks, training checks and bad-input groups, each with its figures."""
    out = [f"FAIL gradient check {r['case']} vs {r['numerical case']}: max |backprop - numerical| "
           f"missed by {fmt(r['ratio'], 'ulp')}x the bound (Python {fmt(r['Python |bp-num|'])}, "
           f"R {fmt(r['R |bp-num|'])}, exact {fmt(r['exact |bp-num|'])}, bound {fmt(r['bound'])})"
           for r in gradcheck if r["verdict"] != "pass"]
    out += [f"FAIL training {r['check']}: value {r['value']}, bound {r['bound']} {r['detail']}"
            for r in training if r["verdict"] == "FAIL"]
    out += [f"FAIL bad input {miss}" for r in bad_inputs for miss in r["misses"]]
    return out + [f"FAIL bad inputs {r['group']}: not refused alike in both languages"
                  for r in bad_inputs if r["verdict"] != "pass" and not r["misses"]]


def write(out_dir: Path, tables: dict[str, list[dict]], summary: dict) -> list[Path]:
    """Each table as <name>.json and <name>.csv (same records), plus summary.json; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in tables.items():
        if not rows:
            continue
        # Non-finite floats as strings: JSON has no inf or NaN.
        records = [{k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}
                   for row in rows]
        (out_dir / f"{name}.json").write_text(json.dumps(records, indent=1, default=str) + "\n")
        with (out_dir / f"{name}.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
            writer.writeheader()
            writer.writerows(rows)
        paths += [out_dir / f"{name}.json", out_dir / f"{name}.csv"]
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    return [*paths, out_dir / "summary.json"]


def accuracy_section(accuracy_dir: Path) -> str:
    """The table of the last dense accuracy check (make accuracy / make test), or how to get one."""
    path = accuracy_dir / "accuracy.md"
    if not path.exists():
        return f"Dense accuracy check: no {path} yet (`make accuracy`, or its smaller form in `make test`)"
    return path.read_text().rstrip()
