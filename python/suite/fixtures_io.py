"""Read the fixture files: manifest checksums, the structure of fixtures/schema.json, every array's bits.

Every problem, from a missing file to a case that breaks the schema, is a FixtureError naming the file
(and the case); r/suite/fixtures_io.R makes the same checks in the same order. jsonschema is not needed.
"""

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from python.suite.errors import FixtureError

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
SCHEMA_VERSION = 1
NONFINITE = {"nan": np.nan, "posinf": np.inf, "neginf": -np.inf}
MAX_EXTENT = 2**31 - 1  # R's largest dimension
HEX64 = re.compile(r"[0-9a-f]{64}")
CASE_ID = re.compile(r"[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*")
# (required, optional) keys as in schema.json; optional None: other keys allowed.
FILE_KEYS = (("schema_version", "function", "description", "cases"), ())
CASE_KEYS = (("id", "group", "description", "tolerance", "inputs", "expected"), ("err_scale", "sample"))
ARRAY_KEYS = (("dtype", "shape", "data", "sha256"), ("nonfinite",))
ENTRY_KEYS = (("path", "sha256", "cases"), None)


class _JsonSyntaxError(ValueError):
    """Raised inside json.loads by the hooks; reported as a FixtureError naming the file."""


def bits_sha256(values: np.ndarray) -> str:
    """SHA-256 of the values as little-endian float64 bytes in row-major order."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """An object's dict; a key given twice is an error (jsonlite would keep the first, json the last)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        twice = next(k for k in keys if keys.count(k) > 1)
        raise _JsonSyntaxError(f"key '{twice}' appears twice in an object")
    return obj


def _no_constant(name: str) -> None:
    """NaN and Infinity are not JSON (Python's json would accept them, jsonlite does not)."""
    raise _JsonSyntaxError(f"{name} is not JSON (nonfinite values are null entries listed in 'nonfinite')")


def read_fixture_bytes(path: Path) -> bytes:
    """A file's bytes; an unreadable file is a FixtureError naming it."""
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise FixtureError(f"{path}: cannot read ({err.strerror or err})") from err


def read_fixture_json(path: Path, raw: bytes | None = None) -> Any:
    """The parsed JSON of a file (or of its bytes raw); any problem is a FixtureError naming it."""
    try:
        text = (read_fixture_bytes(path) if raw is None else raw).decode("utf-8")
    except UnicodeDecodeError as err:
        raise FixtureError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    if "\\u0000" in text:  # jsonlite would cut the string there
        raise FixtureError(f"{path}: a string holds \\u0000")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise FixtureError(f"{path}: not valid JSON ({err.msg}, {where})") from err
    except (_JsonSyntaxError, RecursionError) as err:
        raise FixtureError(f"{path}: not valid JSON ({err or 'nested too deeply'})") from err


def json_kind(value: Any) -> str:
    """The JSON type of a parsed value, for messages."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def is_whole_number(value: Any) -> bool:
    """A JSON number with an integral value (2 or 2.0; not true)."""
    return type(value) is int or (type(value) is float and value.is_integer())


def check_keys(obj: Any, where: str, keys: tuple) -> None:
    """obj is a JSON object with every required key and, if optional is not None, no other key."""
    required, optional = keys
    if type(obj) is not dict:
        raise FixtureError(f"{where}: expected an object, found {json_kind(obj)}")
    for key in required:
        if key not in obj:
            raise FixtureError(f"{where}: missing key '{key}'")
    if optional is not None:
        for key in obj:
            if key not in required and key not in optional:
                raise FixtureError(f"{where}: unknown key '{key}'")


def check_whole_list(value: Any, where: str, low: int, high: float, non_empty: bool) -> list:
    """A JSON array of whole numbers in low..high (at least one if non_empty), as Python ints."""
    if type(value) is not list or (non_empty and not value):
        raise FixtureError(f"{where}: expected a{' non-empty' * non_empty} array of integers, "
                           f"found {json_kind(value) if type(value) is not list else 'an empty array'}")
    for v in value:
        if not is_whole_number(v) or not low <= v <= high:
            raise FixtureError(f"{where}: {json.dumps(v)} is not an integer in {low}..{high}")
    return [int(v) for v in value]


def numeric_data(data: Any, where: str) -> tuple[np.ndarray, list[int]]:
    """An ARRAY's data list as float64 with its nulls as 0, and where the nulls are; numbers only."""
    if type(data) is not list:
        raise FixtureError(f"{where}.data: expected an array, found {json_kind(data)}")
    kinds = set(map(type, data))
    if not kinds <= {int, float, type(None)}:
        bad = next(v for v in data if type(v) not in (int, float, type(None)))
        raise FixtureError(f"{where}.data: holds {json_kind(bad)}, only numbers and null are allowed")
    nulls = [i for i, v in enumerate(data) if v is None] if type(None) in kinds else []
    try:  # most arrays have no null: no per-entry pass then
        values = np.array([0.0 if v is None else v for v in data] if nulls else data, dtype=np.float64)
    except OverflowError:
        values = np.array([np.inf])
    if not np.isfinite(values).all():
        raise FixtureError(f"{where}.data: a number beyond float64 (nonfinite values are null entries)")
    return values, nulls


def check_nonfinite(obj: dict, where: str) -> dict[str, list[int]]:
    """An ARRAY's "nonfinite" map, checked: known keys, non-empty index lists."""
    if "nonfinite" not in obj:
        return {}
    nonfinite, where = obj["nonfinite"], f"{where}.nonfinite"
    check_keys(nonfinite, where, ((), tuple(NONFINITE)))
    if not nonfinite:
        raise FixtureError(f"{where}: empty (leave the key out when there is nothing to list)")
    return {k: check_whole_list(v, f"{where}.{k}", 0, math.inf, True) for k, v in nonfinite.items()}


def decode_array(obj: Any, where: str) -> np.ndarray:
    """One ARRAY object to a numpy array, its structure, nonfinite entries and bit checksum verified."""
    shape = check_array_fields(obj, where)
    nonfinite = check_nonfinite(obj, where)
    values, nulls = numeric_data(obj["data"], where)
    if nulls != sorted(i for indices in nonfinite.values() for i in indices):
        raise FixtureError(f"{where}: null entries and 'nonfinite' indices disagree")
    for key, indices in nonfinite.items():
        values[np.asarray(indices, dtype=np.intp)] = NONFINITE[key]
    if bits_sha256(values) != obj["sha256"]:
        raise FixtureError(f"{where}: values do not match their sha256 (misparsed or edited)")
    if math.prod(shape) != values.size:
        raise FixtureError(f"{where}: {values.size} values for shape {shape}")
    if obj["dtype"] == "int64":
        return as_int64(values, nonfinite, where).reshape(shape)
    return values.reshape(shape)


def check_array_fields(obj: Any, where: str) -> tuple[int, ...]:
    """An ARRAY's keys, dtype, sha256 and shape checked; the shape."""
    check_keys(obj, where, ARRAY_KEYS)
    if obj["dtype"] not in ("float64", "int64"):
        raise FixtureError(f"{where}.dtype: {json.dumps(obj['dtype'])} is not \"float64\" or \"int64\"")
    if type(obj["sha256"]) is not str or not HEX64.fullmatch(obj["sha256"]):
        raise FixtureError(f"{where}.sha256: not 64 lower-case hex digits")
    return tuple(check_whole_list(obj["shape"], f"{where}.shape", 0, MAX_EXTENT, False))


def as_int64(values: np.ndarray, nonfinite: dict, where: str) -> np.ndarray:
    """The values of an int64 ARRAY, checked to be integers."""
    if nonfinite or not (np.abs(values) <= 2**53).all() or (values != np.round(values)).any():
        raise FixtureError(f"{where}: an int64 ARRAY holds a value that is not an integer")
    return values.astype(np.int64)


def decode_array_or_map(value: Any, where: str) -> np.ndarray | dict[str, np.ndarray]:
    """An ARRAY, or a non-empty map of names to ARRAYs."""
    if type(value) is dict and "dtype" in value:
        return decode_array(value, where)
    if type(value) is not dict or not value:
        raise FixtureError(f"{where}: expected an ARRAY or a map of ARRAYs, found "
                           f"{json_kind(value) if value != {} else 'an empty object'}")
    return {k: decode_array(v, f"{where}.{k}") for k, v in value.items()}


def decode(value: Any, where: str) -> Any:
    """One input: an ARRAY or map of ARRAYs decoded; a finite number or a string as is."""
    if type(value) is dict:
        return decode_array_or_map(value, where)
    if type(value) is str or (type(value) is int and abs(value) <= 2**1023) or \
            (type(value) is float and math.isfinite(value)):
        return value
    raise FixtureError(f"{where}: expected an ARRAY, a map of ARRAYs, a finite number or a string, "
                       f"found {json_kind(value)}")


def check_sample(case: dict, where: str) -> dict[str, list[int]]:
    """The sampled elements: for each weight of the expected map, valid indices into the weight."""
    sample = case["sample"]
    check_keys(sample, f"{where}.sample", ((), None))
    expected, params = case["expected"], case["inputs"].get("params", {})
    if type(expected) is not dict or set(sample) != set(expected):
        raise FixtureError(f"{where}.sample: its keys must be those of the expected map")
    out = {}
    for key, indices in sample.items():
        limit = params[key].size - 1 if type(params) is dict and key in params else math.inf
        out[key] = check_whole_list(indices, f"{where}.sample.{key}", 0, limit, True)
        if len(out[key]) != expected[key].size:
            raise FixtureError(f"{where}.sample.{key}: {len(out[key])} indices, "
                               f"{expected[key].size} expected values")
    return out


def decode_case(case: Any, where: str, classes: set[str]) -> dict:
    """One case checked against schema.json and tolerances.json, its arrays decoded."""
    check_case_fields(case, where, classes)
    out = dict(case)
    out["inputs"] = {k: decode(v, f"{where}.inputs.{k}") for k, v in case["inputs"].items()}
    for key in ("expected", "err_scale"):
        if key in case:
            out[key] = decode_array_or_map(case[key], f"{where}.{key}")
    if "sample" in case:
        out["sample"] = check_sample(out, where)
    return out


def check_case_fields(case: Any, where: str, classes: set[str]) -> None:
    """A case's keys, id, group, description, tolerance class and inputs map."""
    check_keys(case, where, CASE_KEYS)
    if type(case["id"]) is not str or not CASE_ID.fullmatch(case["id"]):
        raise FixtureError(f"{where}.id: {json.dumps(case['id'])} is not a case id (like edge/x_1.5)")
    for key in ("group", "description"):
        if type(case[key]) is not str or (key == "description" and not case[key]):
            raise FixtureError(f"{where}.{key}: expected a{' non-empty' * (key == 'description')} string")
    if type(case["tolerance"]) is not str or case["tolerance"] not in classes:
        raise FixtureError(f"{where}.tolerance: {json.dumps(case['tolerance'])} is not a class of "
                           f"tolerances.json ({', '.join(sorted(classes))})")
    if type(case["inputs"]) is not dict or not case["inputs"]:
        raise FixtureError(f"{where}.inputs: expected a non-empty object, found {json_kind(case['inputs'])}")


def check_manifest_entries(files: dict, where: str) -> None:
    """The manifest's entries: each a relative path, the file's SHA-256, its case count."""
    for name, entry in files.items():
        check_keys(entry, f"{where}.{name}", ENTRY_KEYS)
    for name, entry in files.items():
        path = entry["path"]
        if type(path) is not str or not CASE_ID.fullmatch(path) or ".." in path.split("/"):
            raise FixtureError(f"{where}.{name}.path: {json.dumps(path)} is not a relative path like "
                               f"cases/x.json")
    for name, entry in files.items():
        if type(entry["sha256"]) is not str or not HEX64.fullmatch(entry["sha256"]):
            raise FixtureError(f"{where}.{name}.sha256: {json.dumps(entry['sha256'])} is not 64 lower-case "
                               f"hex digits")
    for name, entry in files.items():
        if not is_whole_number(entry["cases"]) or entry["cases"] < 0:
            raise FixtureError(f"{where}.{name}.cases: {json.dumps(entry['cases'])} is not a case count")


def load_manifest(root: Path = FIXTURES_DIR) -> dict:
    """The manifest, after checking its schema version and the form of every entry."""
    path = Path(root) / "manifest.json"
    if not path.is_file():
        raise FixtureError(f"{path} is missing: run `make fixtures`")
    manifest = read_fixture_json(path)
    check_keys(manifest, str(path), (("schema_version", "files"), None))
    version = manifest["schema_version"]
    if not is_whole_number(version) or version != SCHEMA_VERSION:
        raise FixtureError(f"{path}: schema_version {json.dumps(version)}, this reader understands "
                           f"{SCHEMA_VERSION}")
    check_keys(manifest["files"], f"{path}: files", ((), None))
    check_manifest_entries(manifest["files"], f"{path}: files")
    return manifest


def verify_policy_file(name: str, root: Path = FIXTURES_DIR) -> Path:
    """The path of a hand-written policy file (tolerances.json, ...), after its manifest checksum."""
    path = Path(root) / name
    manifest = load_manifest(root)
    listed = manifest.get("policy_files")
    if type(listed) is not dict or type(listed.get(name)) is not str:
        raise FixtureError(f"{Path(root) / 'manifest.json'}: no policy_files checksum for {name}: run "
                           "`make fixtures`")
    if not path.is_file():
        raise FixtureError(f"{path} is missing")
    if file_sha256(path) != listed[name]:
        raise FixtureError(f"{path}: sha256 does not match the manifest's (edited since `make fixtures`?)")
    return path


def tolerance_classes(root: Path = FIXTURES_DIR) -> set[str]:
    """Names of the tolerance classes a case may use."""
    path = Path(root) / "tolerances.json"
    if not path.is_file():
        raise FixtureError(f"{path} is missing")
    doc = read_fixture_json(path)
    check_keys(doc, str(path), (("classes",), None))
    if type(doc["classes"]) is not dict or not doc["classes"]:
        raise FixtureError(f"{path}: 'classes' must be a non-empty object")
    return set(doc["classes"])


def check_case_file(doc: Any, path: Path, function: str) -> None:
    """A case file's top level: schema version, the function it is listed for, description, cases."""
    check_keys(doc, str(path), FILE_KEYS)
    if not is_whole_number(doc["schema_version"]) or doc["schema_version"] != SCHEMA_VERSION:
        raise FixtureError(f"{path}: schema_version {json.dumps(doc['schema_version'])}, this reader "
                           f"understands {SCHEMA_VERSION}")
    if doc["function"] != function or type(doc["description"]) is not str:
        raise FixtureError(f"{path}: 'function' is {json.dumps(doc['function'])}, the manifest lists the "
                           f"file for '{function}' (or 'description' is not a string)")
    if type(doc["cases"]) is not list or not doc["cases"]:
        raise FixtureError(f"{path}: 'cases' must be a non-empty array")


def load_cases(function: str, root: Path = FIXTURES_DIR) -> list[dict]:
    """All cases of one function, decoded, after verifying the file against the manifest."""
    root = Path(root)
    entry = load_manifest(root)["files"].get(function)
    if entry is None:
        raise FixtureError(f"no fixture file for '{function}' in {root / 'manifest.json'}")
    path = root / entry["path"]
    if not path.is_file():
        raise FixtureError(f"{path} is listed in the manifest but missing")
    raw = read_fixture_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"]:
        raise FixtureError(f"{path}: sha256 {digest[:12]}... does not match the manifest's "
                           f"{entry['sha256'][:12]}... (file edited or corrupt; run `make fixtures`)")
    doc = read_fixture_json(path, raw)
    check_case_file(doc, path, function)
    classes, cases = tolerance_classes(root), []
    for k, case in enumerate(doc["cases"]):
        name = case.get("id") if type(case) is dict else None
        cases.append(decode_case(case, f"{path}:{name if type(name) is str else f'cases[{k}]'}", classes))
        if any(c["id"] == cases[-1]["id"] for c in cases[:-1]):
            raise FixtureError(f"{path}: case id '{cases[-1]['id']}' appears twice")
    if len(cases) != entry["cases"]:
        raise FixtureError(f"{path}: {len(cases)} cases, the manifest says {entry['cases']}")
    return cases


def functions(root: Path = FIXTURES_DIR) -> list[str]:
    """Names of all functions that have fixture files, in manifest order."""
    return list(load_manifest(root)["files"])
