"""Read the fixture files bit-exactly, verifying the manifest checksums and every array's bits."""

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from python.errors import FixtureError

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
SCHEMA_VERSION = 1
NONFINITE = {"nan": np.nan, "posinf": np.inf, "neginf": -np.inf}


def bits_sha256(values: np.ndarray) -> str:
    """SHA-256 of the values as little-endian float64 bytes in row-major order."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode(value: Any, where: str) -> Any:
    """Turn ARRAY objects (recursively inside maps) into numpy arrays; other JSON stays as is."""
    if isinstance(value, dict) and "dtype" in value and "data" in value:
        return decode_array(value, where)
    if isinstance(value, dict):
        return {k: decode(v, f"{where}.{k}") for k, v in value.items()}
    return value


def decode_array(obj: dict, where: str) -> np.ndarray:
    """One ARRAY object to a numpy array, with its nonfinite entries and bit checksum verified."""
    data, nonfinite = obj["data"], obj.get("nonfinite", {})
    nulls = [i for i, v in enumerate(data) if v is None]
    if nulls != sorted(i for indices in nonfinite.values() for i in indices):
        raise FixtureError(f"{where}: null entries and 'nonfinite' indices disagree")
    values = np.array([0.0 if v is None else v for v in data], dtype=np.float64)
    for key, indices in nonfinite.items():
        values[np.asarray(indices, dtype=np.intp)] = NONFINITE[key]
    if bits_sha256(values) != obj["sha256"]:
        raise FixtureError(f"{where}: values do not match their sha256 (misparsed or edited)")
    shape = tuple(obj["shape"])
    if int(np.prod(shape)) != values.size:
        raise FixtureError(f"{where}: {values.size} values for shape {shape}")
    if obj["dtype"] == "int64":
        return values.astype(np.int64).reshape(shape)
    return values.reshape(shape)


def load_manifest(root: Path = FIXTURES_DIR) -> dict:
    """The manifest, after checking its schema version."""
    path = root / "manifest.json"
    if not path.exists():
        raise FixtureError(f"{path} is missing: run `make fixtures`")
    manifest = json.loads(path.read_text())
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise FixtureError(f"{path}: schema_version {manifest.get('schema_version')}, "
                           f"this reader understands {SCHEMA_VERSION}")
    return manifest


def load_cases(function: str, root: Path = FIXTURES_DIR) -> list[dict]:
    """All cases of one function, decoded, after verifying the file against the manifest."""
    entry = load_manifest(root)["files"].get(function)
    if entry is None:
        raise FixtureError(f"no fixture file for '{function}' in {root / 'manifest.json'}")
    path = root / entry["path"]
    if not path.exists():
        raise FixtureError(f"{path} is listed in the manifest but missing")
    digest = file_sha256(path)
    if digest != entry["sha256"]:
        raise FixtureError(f"{path}: sha256 {digest[:12]}... does not match the manifest's "
                           f"{entry['sha256'][:12]}... (file edited or corrupt; run `make fixtures`)")
    doc = json.loads(path.read_text())
    cases = [decode(case, f"{path.name}:{case.get('id')}") for case in doc["cases"]]
    if len(cases) != entry["cases"]:
        raise FixtureError(f"{path}: {len(cases)} cases, the manifest says {entry['cases']}")
    return cases


def functions(root: Path = FIXTURES_DIR) -> list[str]:
    """Names of all functions that have fixture files, in manifest order."""
    return list(load_manifest(root)["files"])
