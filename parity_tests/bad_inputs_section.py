"""The bad-input section of `make parity`: every catalogue case in both languages, refused alike."""

from pathlib import Path

from parity_tests.r_bridge import RBridge
from python.suite.bad_inputs import load_catalogue, run_case

# One R call: "ok|condition class|message" per case, in catalogue order.
R_OUTCOMES = """function(path) vapply(run_bad_inputs(path), function(o)
  paste(o$ok, o$error, gsub("[\\r\\n]", " ", o$message), sep = "|"), "")"""


def snake(name: str) -> str:
    """InputError -> dlfs_input_error, R's class for Python's error."""
    return "dlfs_" + "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def bad_input_rows(bridge: RBridge, fixtures: Path) -> list[dict]:
    """One row per group of cases: counts refused as listed in each language, and the same error class."""
    path = fixtures / "bad_inputs.json"
    doc = load_catalogue(path)
    py = [run_case(case, doc["net"]) for case in doc["cases"]]
    r = [str(line).split("|", 2) for line in bridge.eval(R_OUTCOMES, str(path))]
    rows: dict[str, dict] = {}
    for case, p, (r_ok, r_class, r_message) in zip(doc["cases"], py, r, strict=True):
        row = rows.setdefault(case["group"], {"group": case["group"], "cases": 0, "python refused": 0,
                                              "R refused": 0, "same class": 0, "misses": []})
        row["cases"] += 1
        row["python refused"] += p.ok
        row["R refused"] += r_ok == "TRUE"
        row["same class"] += p.error is not None and snake(p.error) == r_class
        if not (p.ok and r_ok == "TRUE"):
            row["misses"].append(f"{case['function']}: {case['description']} (Python {p.error}: "
                                 f"{p.message} | R {r_class}: {r_message})")
    for row in rows.values():
        full = row["cases"] == row["python refused"] == row["R refused"] == row["same class"]
        row["verdict"] = "pass" if full else "FAIL"
    return list(rows.values())
