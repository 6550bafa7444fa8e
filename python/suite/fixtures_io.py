"""Read the fixture files: the manifest's checksums, the structure of fixtures/schema.json, each array's bits.

The structure is checked once, by jsonschema; what a schema cannot say (checksums, counts, tolerance classes,
sampled indices) is checked here. Every problem is a FixtureError naming the file (and the case).
"""

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from python.suite.errors import FixtureError

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
SCHEMA_VERSION = 1
NONFINITE = {"nan": np.nan, "posinf": np.inf, "neginf": -np.inf}
# The manifest is written by fixtures/generate.py; the reader needs each entry's path, sha256 and count.
ENTRY_SCHEMA = {
    "type": "object", "required": ["path", "sha256", "cases"],
    "properties": {
        "path": {"type": "string", "pattern": r"^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$",
                 "not": {"pattern": r"(^|/)\.\.(/|$)"}},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "cases": {"type": "integer", "minimum": 0}}}
MANIFEST_SCHEMA = {"type": "object", "required": ["schema_version", "files"],
                   "properties": {"files": {"type": "object", "additionalProperties": ENTRY_SCHEMA}}}


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
        raise ValueError(f"key '{twice}' appears twice in an object")
    return obj


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
        return json.loads(text, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as err:
        raise FixtureError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise FixtureError(f"{path}: not valid JSON ({err.msg}, {where})") from err
    except (ValueError, RecursionError) as err:  # a key given twice, or nesting too deep
        raise FixtureError(f"{path}: not valid JSON ({err or 'nested too deeply'})") from err


def _fast_items(validator: Any, items: Any, instance: Any, schema: dict) -> Any:
    """"items" as jsonschema checks it, but a bare type test on one value of each Python type only.

    An ARRAY's data holds up to a million numbers: with jsonschema's own "items", reading every fixture
    file takes 12.5 s instead of 1.7 s (0.9 s without a schema). "integer" looks at the value: not here.
    """
    if not (validator.is_type(instance, "array") and isinstance(items, dict) and items.keys() == {"type"}
            and "integer" not in items["type"]):
        yield from jsonschema.Draft202012Validator.VALIDATORS["items"](validator, items, instance, schema)
        return
    for kind in set(map(type, instance)):
        index = next(i for i, v in enumerate(instance) if type(v) is kind)
        yield from validator.descend(instance[index], items, path=index)


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"items": _fast_items})


def check_schema(doc: Any, schema: dict, path: Path) -> None:
    """doc satisfies the schema; else a FixtureError naming the file, the case and the place."""
    error = jsonschema.exceptions.best_match(Validator(schema).iter_errors(doc))
    if error is None:
        return
    place = list(error.absolute_path)
    if len(place) >= 2 and place[0] == "cases":
        case = doc["cases"][place[1]]
        name = case.get("id") if type(case) is dict else None
        where = f"{path}:{name if type(name) is str else f'cases[{place[1]}]'}"
        where += "".join(f".{p}" for p in place[2:])
    else:
        where = f"{path}: {'.'.join(map(str, place))}" if place else str(path)
    raise FixtureError(f"{where}: {error.message}")


def check_version(doc: dict, path: Path) -> None:
    """A document of the schema version this reader understands."""
    version = doc.get("schema_version") if type(doc) is dict else None
    if type(version) is not int or version != SCHEMA_VERSION:
        raise FixtureError(f"{path}: schema_version {json.dumps(version)}, this reader understands "
                           f"{SCHEMA_VERSION}")


def decode_array(obj: dict, where: str) -> np.ndarray:
    """One ARRAY object (structure already checked) to a numpy array, its bits verified."""
    data = obj["data"]
    nulls = [i for i, v in enumerate(data) if v is None] if None in data else []
    try:
        values = np.array([0.0 if v is None else v for v in data] if nulls else data, dtype=np.float64)
    except OverflowError:
        values = np.array([np.inf])
    if not np.isfinite(values).all():
        raise FixtureError(f"{where}.data: a number beyond float64 (nonfinite values are null entries)")
    nonfinite = obj.get("nonfinite", {})
    if nulls != sorted(i for indices in nonfinite.values() for i in indices):
        raise FixtureError(f"{where}: null entries and 'nonfinite' indices disagree")
    for key, indices in nonfinite.items():
        values[np.asarray(indices, dtype=np.intp)] = NONFINITE[key]
    if bits_sha256(values) != obj["sha256"]:
        raise FixtureError(f"{where}: values do not match their sha256 (misparsed or edited)")
    shape = tuple(obj["shape"])
    if math.prod(shape) != values.size or max(shape, default=0) > 2**31 - 1:  # R's largest extent
        raise FixtureError(f"{where}: {values.size} values for shape {shape}")
    if obj["dtype"] == "float64":
        return values.reshape(shape)
    if nonfinite or not (np.abs(values) <= 2**53).all() or (values != np.round(values)).any():
        raise FixtureError(f"{where}: an int64 ARRAY holds a value that is not an integer")
    return values.astype(np.int64).reshape(shape)


def decode(value: Any, where: str) -> Any:
    """An ARRAY or a map of ARRAYs decoded; a number or a string as is, if R can hold it too."""
    if type(value) is dict and "dtype" in value:
        return decode_array(value, where)
    if type(value) is dict:
        return {k: decode_array(v, f"{where}.{k}") for k, v in value.items()}
    if (type(value) is int and abs(value) > 2**1023) or (type(value) is float and not math.isfinite(value)):
        raise FixtureError(f"{where}: {value} is beyond float64")
    return value


def check_sample(case: dict, where: str) -> None:
    """The sampled elements: for each weight of the expected map, valid indices into the weight."""
    sample, expected, params = case["sample"], case["expected"], case["inputs"].get("params", {})
    if type(expected) is not dict or set(sample) != set(expected):
        raise FixtureError(f"{where}.sample: its keys must be those of the expected map")
    for key, indices in sample.items():
        limit = params[key].size if type(params) is dict and key in params else math.inf
        if len(indices) != expected[key].size or max(indices) >= limit:
            raise FixtureError(f"{where}.sample.{key}: {len(indices)} indices below {limit} needed, "
                               f"{expected[key].size} expected values")


def decode_case(case: dict, where: str, classes: set[str]) -> dict:
    """One case (structure already checked) with its tolerance class known and its arrays decoded."""
    if case["tolerance"] not in classes:
        raise FixtureError(f"{where}.tolerance: {json.dumps(case['tolerance'])} is not a class of "
                           f"tolerances.json ({', '.join(sorted(classes))})")
    out = {**case, "inputs": {k: decode(v, f"{where}.inputs.{k}") for k, v in case["inputs"].items()}}
    for key in ("expected", "err_scale"):
        if key in case:
            out[key] = decode(case[key], f"{where}.{key}")
    if "sample" in case:
        check_sample(out, where)
    return out


def load_manifest(root: Path = FIXTURES_DIR) -> dict:
    """The manifest, after checking its schema version and the form of every entry."""
    path = Path(root) / "manifest.json"
    if not path.is_file():
        raise FixtureError(f"{path} is missing: run `make fixtures`")
    manifest = read_fixture_json(path)
    check_schema(manifest, MANIFEST_SCHEMA, path)
    check_version(manifest, path)
    return manifest


def verify_policy_file(name: str, root: Path = FIXTURES_DIR) -> Path:
    """The path of a hand-written policy file (tolerances.json, ...), after its manifest checksum."""
    path = Path(root) / name
    listed = load_manifest(root).get("policy_files")
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
    doc = read_fixture_json(path)
    if type(doc) is not dict or type(doc.get("classes")) is not dict or not doc["classes"]:
        raise FixtureError(f"{path}: 'classes' must be a non-empty object")
    return set(doc["classes"])


def load_cases(function: str, root: Path = FIXTURES_DIR) -> list[dict]:
    """All cases of one function, decoded, after verifying the file against the manifest and schema.json."""
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
    check_version(doc, path)
    check_schema(doc, read_fixture_json(verify_policy_file("schema.json", root)), path)
    if doc["function"] != function:
        raise FixtureError(f"{path}: 'function' is {json.dumps(doc['function'])}, the manifest lists the "
                           f"file for '{function}'")
    classes = tolerance_classes(root)
    cases = [decode_case(case, f"{path}:{case['id']}", classes) for case in doc["cases"]]
    ids = [case["id"] for case in cases]
    if len(set(ids)) != len(ids):
        raise FixtureError(f"{path}: case id '{next(i for i in ids if ids.count(i) > 1)}' appears twice")
    if len(cases) != entry["cases"]:
        raise FixtureError(f"{path}: {len(cases)} cases, the manifest says {entry['cases']}")
    return cases


def functions(root: Path = FIXTURES_DIR) -> list[str]:
    """Names of all functions that have fixture files, in manifest order."""
    return list(load_manifest(root)["files"])
