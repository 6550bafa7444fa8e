"""The fixture files themselves: schema, manifest checksums, bit checksums, tamper detection."""

import json
import re
import shutil

import jsonschema
import numpy as np
import pytest

from python.suite.fixtures_io import (
    FIXTURES_DIR,
    FixtureError,
    decode_array,
    functions,
    load_cases,
    load_manifest,
)
from tests.conftest import ALL_CASES

SCHEMA = json.loads((FIXTURES_DIR / "schema.json").read_text())


@pytest.mark.parametrize("function", functions())
def test_file_matches_schema(function):
    entry = load_manifest()["files"][function]
    doc = json.loads((FIXTURES_DIR / entry["path"]).read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["function"] == function


def test_schema_rejects_a_case_without_tolerance():
    doc = json.loads((FIXTURES_DIR / "cases" / "sigmoid.json").read_text())
    del doc["cases"][0]["tolerance"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_case_ids_unique_and_classes_known(policy):
    for function in functions():
        ids = [c["id"] for c in load_cases(function)]
        assert len(ids) == len(set(ids)), function
    assert {c["tolerance"] for _, c in ALL_CASES} <= set(policy)


def test_every_class_has_its_reasoning(policy):
    for name, cls in policy.items():
        assert len(cls["reason"]) > 40, name
        assert cls["cross"] in ("bound", "bitexact")


def test_special_values_round_trip():
    obj = {"dtype": "float64", "shape": [5], "data": [None, None, None, -0.0, 5e-324],
           "nonfinite": {"nan": [0], "posinf": [1], "neginf": [2]}}
    from fixtures.encode import array
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324])
    obj["sha256"] = array(values)["sha256"]
    got = decode_array(obj, "test")
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf
    assert np.signbit(got[3]) and got[4] == 5e-324


@pytest.fixture
def fixture_copy(tmp_path):
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def test_edited_file_is_refused(fixture_copy):
    path = fixture_copy / "cases" / "sigmoid.json"
    path.write_text(path.read_text().replace("0.5", "0.50000000000000011", 1))
    with pytest.raises(FixtureError, match="does not match the manifest"):
        load_cases("sigmoid", fixture_copy)


def test_edited_value_with_updated_manifest_is_refused(fixture_copy):
    # Someone edits a value and "fixes" the file checksum: the per-array bit checksum still catches it.
    path = fixture_copy / "cases" / "sigmoid.json"
    doc = path.read_text()
    path.write_text(doc.replace('"data":[0.5,', '"data":[0.5000000000000001,', 1))
    manifest = json.loads((fixture_copy / "manifest.json").read_text())
    from python.suite.fixtures_io import file_sha256
    manifest["files"]["sigmoid"]["sha256"] = file_sha256(path)
    (fixture_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FixtureError, match="sha256"):
        load_cases("sigmoid", fixture_copy)


def test_missing_manifest_and_file(fixture_copy):
    (fixture_copy / "cases" / "softmax.json").unlink()
    with pytest.raises(FixtureError, match="missing"):
        load_cases("softmax", fixture_copy)
    with pytest.raises(FixtureError, match="no fixture file"):
        load_cases("no_such_function", fixture_copy)
    (fixture_copy / "manifest.json").unlink()
    with pytest.raises(FixtureError, match="make fixtures"):
        load_cases("sigmoid", fixture_copy)


def test_required_edges_present():
    sig = {v for c in load_cases("sigmoid") for v in np.ravel(c["inputs"]["x"]).tolist()}
    edges = [0.0, 1.0, -1.0, 40.0, -40.0, 709.0, -709.0, 710.0, -710.0, -720.0, 745.0, -745.0, 1e308, -1e308]
    for x in edges:
        assert x in sig, x
    gd = {float(c["inputs"]["lr"]) for c in load_cases("gradient_descent")}
    assert gd == {0.1, 10.0, 1e-10}


def rewrite_case_file(root, function, edit):
    """Apply edit to the parsed case file of function, write it back and refresh its manifest checksum."""
    from python.suite.fixtures_io import file_sha256
    manifest = json.loads((root / "manifest.json").read_text())
    path = root / manifest["files"][function]["path"]
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    manifest["files"][function]["sha256"] = file_sha256(path)
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_unknown_schema_versions_are_errors(fixture_copy):
    manifest = json.loads((fixture_copy / "manifest.json").read_text())
    (fixture_copy / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 2}))
    with pytest.raises(FixtureError, match=r"manifest.json: schema_version 2, this reader understands 1"):
        load_cases("sigmoid", fixture_copy)
    (fixture_copy / "manifest.json").write_text(json.dumps(manifest))
    rewrite_case_file(fixture_copy, "softmax", lambda doc: doc.update(schema_version=2))
    with pytest.raises(FixtureError, match=r"softmax.json: schema_version 2"):
        load_cases("softmax", fixture_copy)


def test_cases_breaking_the_schema_are_errors_naming_file_and_case(fixture_copy):
    rewrite_case_file(fixture_copy, "sigmoid", lambda doc: doc["cases"][1].pop("expected"))
    second = load_cases("softmax", fixture_copy)[1]["id"]
    with pytest.raises(FixtureError, match=r"sigmoid.json:[^ ]+: 'expected' is a required property"):
        load_cases("sigmoid", fixture_copy)
    rewrite_case_file(fixture_copy, "softmax", lambda doc: doc["cases"][1].update(tolerance="loose"))
    with pytest.raises(FixtureError, match=rf"softmax.json:{second}.tolerance: 'loose' is not one of"):
        load_cases("softmax", fixture_copy)
    mse = "mean_squared_error"
    first = load_cases(mse)[0]["id"]
    rewrite_case_file(fixture_copy, mse, lambda doc: doc["cases"][0]["expected"].update(shape=[-1]))
    with pytest.raises(FixtureError, match=rf"{mse}.json:{first}.expected.shape.0: -1 is less than"):
        load_cases(mse, fixture_copy)


def test_a_class_removed_from_tolerances_json_is_an_error(fixture_copy):
    policy = json.loads((fixture_copy / "tolerances.json").read_text())
    del policy["classes"]["elementwise"]
    (fixture_copy / "tolerances.json").write_text(json.dumps(policy))
    with pytest.raises(FixtureError, match=r"sigmoid.json:.*\"elementwise\" is not a class of tolerances"):
        load_cases("sigmoid", fixture_copy)
    (fixture_copy / "tolerances.json").unlink()
    with pytest.raises(FixtureError, match=r"tolerances.json: cannot read"):
        load_cases("sigmoid", fixture_copy)


@pytest.mark.parametrize(("text", "problem"), [
    ("", r"not valid JSON \(Expecting value"),
    ("[1, 2]", r"\[1, 2\] is not of type 'object'"),
    ('{"schema_version": 1, "files": {}, "files": {}}', r"not valid JSON \(key 'files' appears twice"),
    ('{"schema_version": NaN, "files": {}}', r"schema_version NaN, this reader understands 1"),
    ('{"schema_version": 1, "files": {"f": {"path": "../x.json", "sha256": "' + "0" * 64 + '", "cases": 1}}}',
     r"files.f.path: '../x.json' should not be valid"),
    ('{"schema_version": 1, "files": {"f": {"path": "x.json", "sha256": "0", "cases": 1}}}',
     r"files.f.sha256: '0' does not match"),
    (b"\xff\xfe{}", r"not UTF-8 text"),
])
def test_malformed_manifest_is_an_error_naming_it(fixture_copy, text, problem):
    path = fixture_copy / "manifest.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(FixtureError, match=rf"manifest.json: {problem}"):
        functions(fixture_copy)


@pytest.mark.parametrize("name", ["tolerances.json", "bad_inputs.json", "bad_cli.json", "schema.json",
                                  "bad_inputs.schema.json"])
def test_a_changed_byte_in_a_policy_file_is_caught(name, tmp_path):
    import shutil

    from python.suite.fixtures_io import verify_policy_file
    from python.suite.tolerance import load_policy

    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, root)
    assert verify_policy_file(name, root) == root / name
    data = bytearray((root / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (root / name).write_bytes(bytes(data))
    with pytest.raises(FixtureError, match=re.escape(name)):
        verify_policy_file(name, root)
    if name == "tolerances.json":
        with pytest.raises(FixtureError, match=r"tolerances\.json"):
            load_policy(root)
