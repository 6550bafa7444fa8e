"""Fuzz test of the fixture reader: byte changes caught by the checksums, and designed-invalid documents and
random byte changes below a recomputed checksum, each a FixtureError naming the file or a result equal to
the original's (tests/fuzz_helpers.py).
"""

import copy
import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from python.suite.errors import FixtureError
from python.suite.fixtures_io import FIXTURES_DIR, load_cases, load_manifest
from tests.fuzz_helpers import SEED, Tally, flip, mutate_bytes, outcome_of

CHECKSUM_FLIPS_PER_FILE = 8
MANIFEST_FLIPS = 300
STRUCTURE_MUTATIONS = 1000
BYTE_MUTATIONS = 500
SMALL_FILE = 40_000  # case files up to this size are fuzzed below their checksum


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz") / "fixtures"
    shutil.copytree(FIXTURES_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def set_manifest_entry(root: Path, function: str, path: Path, cases: int | None = None) -> None:
    """Give function's manifest entry the file's current SHA-256 (and a case count)."""
    manifest = json.loads((root / "manifest.json").read_text())
    entry = manifest["files"][function]
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry["cases"] = entry["cases"] if cases is None else cases
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))


def checksum_flips(root: Path, rng: random.Random, tally: Tally) -> None:
    """(a) One byte of a case file changed, in place: the manifest checksum must name the file."""
    for function, entry in load_manifest(root)["files"].items():
        path = root / entry["path"]
        size = path.stat().st_size
        for _ in range(CHECKSUM_FLIPS_PER_FILE):
            at = rng.randrange(size)
            with path.open("r+b") as f:
                f.seek(at)
                old = f.read(1)[0]
                f.seek(at)
                f.write(bytes([old ^ rng.randint(1, 255)]))
            outcome, value = outcome_of(lambda f=function: load_cases(f, root), FixtureError, path.name)
            if outcome == "clear_error" and "does not match the manifest" not in value:
                outcome = "other_failure"
            tally.add("case_file_byte_changed", outcome, f"{path.name} byte {at}: {value}")
            with path.open("r+b") as f:
                f.seek(at)
                f.write(bytes([old]))


def used_fields(manifest: dict) -> dict:
    """What the reader takes from the manifest: each function's path, checksum and case count."""
    return {k: (e["path"], e["sha256"], e["cases"]) for k, e in manifest["files"].items()}


def manifest_flips(root: Path, rng: random.Random, tally: Tally) -> None:
    """(a) One byte of manifest.json changed: an error naming a file, or only fields the reader ignores."""
    path = root / "manifest.json"
    original = path.read_bytes()
    before = used_fields(json.loads(original))
    for _ in range(MANIFEST_FLIPS):
        path.write_bytes(flip(original, rng, 1))
        outcome, value = outcome_of(lambda: load_manifest(root), FixtureError, "manifest.json")
        if outcome == "result":
            changed = {k: v for k, v in used_fields(value).items() if before.get(k) != v}
            outcome = "clear_error" if changed else "result"  # result: an ignored field (text, versions)
            for function, (file, _, _) in changed.items():
                got, why = outcome_of(lambda f=function: load_cases(f, root), FixtureError, "")
                if got != "clear_error" or not (Path(file).name in why or "manifest.json" in why):
                    outcome, value = "other_failure", f"edit of {function}'s entry not caught: {why}"
        tally.add("manifest_byte_changed", outcome, str(value))
    path.write_bytes(original)


def array_paths(case: dict) -> list[tuple[str, ...]]:
    """Paths (keys from the case) of every ARRAY object in a case."""
    out = []
    for key in ("inputs", "expected", "err_scale"):
        value = case.get(key)
        if key != "inputs" and isinstance(value, dict):
            value = {"": value} if "dtype" in value else value
        for k, v in (value or {}).items():
            if isinstance(v, dict) and "dtype" in v:
                out.append((key, k) if k else (key,))
            elif isinstance(v, dict):
                out += [(key, k, m) for m in v]
    return out


def at_path(obj: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        obj = obj[key]
    return obj


BAD_FILE = {"schema_version": [2, "1", None, 1.5, True], "function": [7, None, "no_such_function"],
            "description": [7, None, []], "cases": [[], {}, "x", None, [7], [[]]]}
BAD_CASE = {"id": [7, "", "bad id", None, "a//b"], "group": [7, None], "description": ["", 7, None],
            "tolerance": ["no_such_class", 7, None, ""], "inputs": [{}, [], 7, "x", None],
            "expected": [7, "x", None, [], {}, {"W": 7}, {"W": {}}]}
BAD_INPUT = [None, True, [1, 2], {}, {"a": 1}]
BAD_ARRAY = {"dtype": ["float32", 7, None, "INT64"], "shape": ["x", [-1], [1.5], [True], [2**31], None],
             "data": ["x", {}, None, 7], "sha256": ["zz", 7, "0" * 64],
             "nonfinite": [{}, "x", {"nan": []}, {"nan": [-1]}, {"nan": [0.5]}, {"inf": [0]}, {"nan": "x"}]}
BAD_ENTRY = ["0.5", True, [1.0], {}]
BAD_SAMPLE = {"not_a_map": ["x", [], None], "indices": [[], [-1], [0.5], "x"]}


def mutate_array(arr: dict, rng: random.Random) -> str:
    """One change that makes an ARRAY object invalid; its description."""
    data, nulls = arr["data"], [i for i, v in enumerate(arr["data"]) if v is None]
    choices = [("drop", k) for k in ("dtype", "shape", "data", "sha256")] + [("extra", "")]
    choices += [("bad", k) for k in BAD_ARRAY] + [("shape_size", ""), ("sha_upper", ""), ("append", "")]
    choices += [("entry", ""), ("change", ""), ("drop_last", "")] * bool(data)
    choices += [("nonfinite_gone", ""), ("nonfinite_twice", "")] * bool(nulls)
    choices += [("null_not_listed", "")] * (len(nulls) < len(data))
    what, key = rng.choice(choices)
    i = rng.randrange(len(data)) if data else 0
    if what == "drop":
        del arr[key]
    elif what == "extra":
        arr["zz_extra"] = 1
    elif what == "bad":
        arr[key] = copy.deepcopy(rng.choice(BAD_ARRAY[key]))
    elif what == "shape_size":
        arr["shape"] = [len(data) + 1]
    elif what == "sha_upper":
        arr["sha256"] = arr["sha256"].upper() if any(c in "abcdef" for c in arr["sha256"]) else "A" * 64
    elif what == "append":
        data.append(0.0)
    elif what == "entry":
        data[i] = copy.deepcopy(rng.choice(BAD_ENTRY))
    elif what == "change":  # a different number: the bit checksum must notice
        v = data[i]
        data[i] = 1.0 if v is None else (v / 2 if abs(v) > 1 else v + 0.5)
    elif what == "drop_last":
        data.pop()
    elif what == "nonfinite_gone":
        del arr["nonfinite"]
    elif what == "nonfinite_twice":
        kind = next(iter(arr["nonfinite"]))
        arr["nonfinite"][kind] = arr["nonfinite"][kind] + [arr["nonfinite"][kind][0]]
    else:  # a finite entry listed as NaN
        arr.setdefault("nonfinite", {}).setdefault("nan", []).append(
            next(j for j in range(len(data)) if data[j] is not None))
    return f"array {what} {key}".strip()


def mutate_sample(case: dict, rng: random.Random) -> str:
    """One change that makes a case's sample map invalid."""
    what = rng.choice([*BAD_SAMPLE, "out_of_range", "drop_key", "extra_key"])
    sample = case["sample"]
    key = rng.choice(list(sample))
    if what == "not_a_map":
        case["sample"] = copy.deepcopy(rng.choice(BAD_SAMPLE[what]))
    elif what == "indices":
        sample[key] = copy.deepcopy(rng.choice(BAD_SAMPLE[what]))
    elif what == "out_of_range":
        sample[key] = [*sample[key][:-1], 10**9]
    elif what == "drop_key":
        del sample[key]
    else:
        sample["zz_extra"] = [0]
    return what


def mutate_structure(doc: dict, rng: random.Random, sample: bool) -> tuple[str, str, int]:
    """One designed-invalid change to a one-case document: (level, what, the manifest's case count)."""
    case = doc["cases"][0]
    level = "sample" if sample else rng.choice(["file", "case", "case", "input", "array", "array", "twice"])
    return level, *mutate_level(doc, case, level, rng)


def mutate_keys(target: dict, bad: dict, rng: random.Random) -> str:
    """Drop a required key, add an unknown one, or give a key a bad value; the change's name."""
    key = rng.choice([*bad, "drop", "extra"])
    if key == "drop":
        del target[rng.choice(list(bad))]
    elif key == "extra":
        target["zz_extra"] = 1
    else:
        target[key] = copy.deepcopy(rng.choice(bad[key]))
    return key


def mutate_level(doc: dict, case: dict, level: str, rng: random.Random) -> tuple[str, int]:
    """The change of mutate_structure at one level of the document."""
    if level == "file":
        return mutate_keys(doc, BAD_FILE, rng), 1
    if level == "case":
        return mutate_keys(case, BAD_CASE, rng), 1
    if level == "input":
        value = copy.deepcopy(rng.choice(BAD_INPUT))
        case["inputs"][rng.choice(list(case["inputs"]))] = value
        return json.dumps(value), 1
    if level == "twice":
        doc["cases"].append(copy.deepcopy(case))
        return "case id twice", rng.choice([1, 2, 3])
    if level == "sample":
        return mutate_sample(case, rng), 1
    return mutate_array(at_path(case, rng.choice(array_paths(case))), rng), 1


def text_mutation(text: str, rng: random.Random) -> tuple[str, str]:
    """A document that is not JSON, not an object, or repeats a key; its description."""
    what = rng.choice(["empty", "array", "null", "string", "nan", "open", "nul", "random", "cut", "dup"])
    if what == "cut":
        return text[:rng.randrange(len(text) - 1)], what
    if what == "dup":
        return text.replace('{"id":', '{"id":"dup","id":', 1), what
    if what == "random":
        return "".join(chr(rng.randrange(32, 127)) for _ in range(16)), what
    return {"empty": "", "array": "[]", "null": "null", "string": '"x"', "nan": "NaN",
            "open": '{"schema_version": 1', "nul": "\x00"}[what], what


def structure_pool(root: Path) -> list[tuple[str, dict, dict]]:
    """(function, file header, case): every case of the small files, and the case with a sample."""
    pool = []
    for function, entry in load_manifest(root)["files"].items():
        path = root / entry["path"]
        if path.stat().st_size > SMALL_FILE and function != "TwoLayerNet.numerical_gradient":
            continue
        doc = json.loads(path.read_text())
        header = {k: v for k, v in doc.items() if k != "cases"}
        small = path.stat().st_size <= SMALL_FILE
        pool += [(function, header, c) for c in doc["cases"] if small or "sample" in c]
    return pool


def write_case_doc(root: Path, function: str, text: str, cases: int) -> Path:
    """Write a case file and give the manifest its checksum and case count."""
    path = root / json.loads((root / "manifest.json").read_text())["files"][function]["path"]
    path.write_text(text)
    set_manifest_entry(root, function, path, cases)
    return path


def structure_mutations(root: Path, rng: random.Random, tally: Tally) -> None:
    """(b) Designed-invalid documents with the file checksum recomputed: each must be a FixtureError."""
    pool = structure_pool(root)
    for function, header, case in pool:  # the unmutated one-case documents load
        write_case_doc(root, function, json.dumps({**header, "cases": [case]}), 1)
        assert load_cases(function, root)[0]["id"] == case["id"]
    sample_case = next(p for p in pool if "sample" in p[2])
    small = [p for p in pool if "sample" not in p[2]]
    for k in range(STRUCTURE_MUTATIONS):
        # The sample case is 2.4 MB: every 100th mutation only.
        function, header, case = sample_case if k % 100 == 0 else rng.choice(small)
        mutable = {**case, "sample": copy.deepcopy(case["sample"])} if k % 100 == 0 else copy.deepcopy(case)
        doc = {**copy.deepcopy(header), "cases": [mutable]}
        if k % 100 and rng.random() < 0.1:
            (text, what), level, count = text_mutation(json.dumps(doc, separators=(",", ":")), rng), "text", 1
        else:
            level, what, count = mutate_structure(doc, rng, k % 100 == 0)
            text = json.dumps(doc, separators=(",", ":"))
        path = write_case_doc(root, function, text, count)
        outcome, value = outcome_of(lambda f=function: load_cases(f, root), FixtureError, path.name)
        if outcome == "result":
            outcome, value = "other_failure", f"accepted ({function}): {text[:200]}"
        tally.add(f"structure_{level}", outcome, f"{what}: {value}")


def arrays_of(value: Any) -> list[np.ndarray]:
    """Every decoded array of a case, in order."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays_of(v)]
    return []


def key_names(cases: list[dict]) -> list:
    """The keys of the maps of each case (inputs, expected, err_scale), nested."""
    def keys(value: Any) -> Any:
        return {k: keys(v) for k, v in value.items()} if isinstance(value, dict) else None
    return [keys({k: c.get(k) for k in ("inputs", "expected", "err_scale")}) for c in cases]


def plain_inputs(cases: list[dict]) -> list[dict]:
    """The inputs that are plain JSON numbers or strings (no array checksum protects them)."""
    return [{k: v for k, v in c["inputs"].items() if not isinstance(v, (dict, np.ndarray))} for c in cases]


def byte_mutations(root: Path, rng: random.Random, tally: Tally) -> dict:
    """(b) Random byte changes below the file checksum (recomputed): an error, or a result whose arrays
    are those of the original file and whose document satisfies schema.json."""
    schema = json.loads((FIXTURES_DIR / "schema.json").read_text())
    manifest = load_manifest()  # the pristine one: earlier phases changed the copy's case counts
    small = [(f, root / e["path"]) for f, e in manifest["files"].items()
             if (FIXTURES_DIR / e["path"]).stat().st_size <= SMALL_FILE]
    originals = {f: (FIXTURES_DIR / e["path"]).read_bytes() for f, e in manifest["files"].items()
                 if (f, root / e["path"]) in small}
    decoded = {f: [a for c in load_cases(f) for a in arrays_of(c)] for f, _ in small}
    plain = {f: plain_inputs(load_cases(f)) for f, _ in small}
    names = {f: key_names(load_cases(f)) for f, _ in small}
    plain_number_changes = renamed = 0
    for _ in range(BYTE_MUTATIONS):
        function, path = rng.choice(small)
        # One flipped bit: a changed letter or digit often leaves valid JSON for the checks below.
        op = rng.choice(["truncate", "bitflip", "bitflip", "insert"])
        original = originals[function]
        mutant = flip(original, rng, 1, bit=True) if op == "bitflip" else mutate_bytes(original, rng, op)
        path.write_bytes(mutant)
        set_manifest_entry(root, function, path, manifest["files"][function]["cases"])
        outcome, value = outcome_of(lambda f=function: load_cases(f, root), FixtureError, path.name)
        if outcome == "result":
            got = [a for c in value for a in arrays_of(c)]
            same = len(got) == len(decoded[function]) and all(
                a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
                for a, b in zip(got, decoded[function], strict=True))
            try:
                jsonschema.validate(json.loads(mutant), schema)
            except jsonschema.ValidationError as err:
                same, value = False, f"schema.json refuses what the reader accepted: {err.message}"
            if not same:
                outcome = "other_failure"
            else:
                plain_number_changes += plain_inputs(value) != plain[function]
                renamed += key_names(value) != names[function]
        tally.add("bytes_" + op, outcome, f"{path.name}: {str(value)[:300]}")
    return {"results_with_a_plain_number_input_changed": plain_number_changes,
            "results_with_a_map_key_renamed": renamed}


def test_fixture_reader_fuzz(fixture_root):
    rng = random.Random(SEED)
    tally = Tally()
    checksum_flips(fixture_root, rng, tally)
    manifest_flips(fixture_root, rng, tally)
    structure_mutations(fixture_root, rng, tally)
    extra = byte_mutations(fixture_root, rng, tally)
    tally.write("fixtures", extra)
    assert tally.failures == [], tally.failures[:5]
    flips = tally.by_operator["case_file_byte_changed"]
    assert flips["clear_error"] == CHECKSUM_FLIPS_PER_FILE * len(load_manifest()["files"])
    # Some changes below the checksum leave a valid file (a letter of a description): the checks ran.
    assert tally.by_operator["bytes_bitflip"]["result"] > 0
