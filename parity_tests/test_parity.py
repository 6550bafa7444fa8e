import json
import shutil

import numpy as np
import pytest

from fixtures import oracle
from fixtures.builders_functions import exact_map
from fixtures.encode import case as fixture_case
from parity_tests import mutants, report
from parity_tests.compare import case_row
from parity_tests.gradcheck import gradcheck_rows
from parity_tests.r_bridge import CaseError, RBridge, SetupError, check_r
from parity_tests.run import ROOT, main, run_parity
from python.suite.cases import run_case
from python.suite.fixtures_io import FIXTURES_DIR, file_sha256, functions, load_cases
from python.suite.tolerance import bound_of, load_policy


def find_case(function, case_id):
    return next(c for c in load_cases(function) if c["id"] == case_id)


def test_every_case_passes_in_both_languages(parity):
    assert parity.failures() == []
    assert parity.counts()[1] == 0


def test_every_fixture_case_has_a_row(parity):
    expected = [(fn, c["id"]) for fn in functions() for c in load_cases(fn)]
    assert [(r["function"], r["case"]) for r in parity.rows] == expected


def test_gradient_check_covers_every_backprop_case(parity):
    # each backprop case pairs with the numerical-gradient case(s) on the same net (series and plain)
    assert {r["case"] for r in parity.gradcheck} == {c["id"] for c in load_cases("TwoLayerNet.gradient")}
    assert all(r["verdict"] == "pass" for r in parity.gradcheck)
    assert all(0 < r["Python |bp-num|"] <= r["bound"] for r in parity.gradcheck if "ties" not in r["case"])


def test_r_matrices_keep_shape_and_element_order(r_bridge):
    m = r_bridge.eval("matrix(c(1, 2, 3, 4, 5, 6), nrow = 2, byrow = TRUE)")
    np.testing.assert_array_equal(m, [[1, 2, 3], [4, 5, 6]])
    results = dict(r_bridge.run_function("softmax", ROOT / "fixtures"))
    case = find_case("softmax", "random/matrix_8x10")
    assert results[case["id"]].shape == (8, 10)
    np.testing.assert_allclose(results[case["id"]], case["expected"], rtol=1e-14)


def row_with_r(function, case_id, r_result):
    case = find_case(function, case_id)
    return case_row(function, case, run_case(function, case), r_result, load_policy())


def test_transposed_r_matrix_fails():
    case = find_case("softmax", "random/matrix_8x10")
    row = row_with_r("softmax", case["id"], case["expected"].T.copy())
    assert row["verdict"] == "FAIL" and not row["r_exact_passed"] and not row["py_r_passed"]
    assert any("R vs exact failed" in line and "shape" in line for line in report.case_failures([row]))


@pytest.mark.parametrize("factor, passes", [(0.5, True), (3.0, False)])
def test_r_value_off_by_a_multiple_of_the_bound(factor, passes):
    case = find_case("TwoLayerNet.predict", "net/mid_10_8_4")
    bound = bound_of(load_policy()[case["tolerance"]], case["expected"], case["err_scale"])
    wrong = case["expected"].copy()
    wrong[2, 1] += factor * bound[2, 1]
    row = row_with_r("TwoLayerNet.predict", case["id"], wrong)
    assert row["r_exact_passed"] is passes
    if not passes:
        line = next(x for x in report.case_failures([row]) if "R vs exact" in x)
        assert "net/mid_10_8_4" in line and "missed by 3x the bound" in line, line


def test_one_bit_off_fails_a_bitexact_class():
    case = find_case("sgd_update", "book/lr_0.1")
    wrong = {k: v.copy() for k, v in case["expected"].items()}
    wrong["W2"][1, 0] = np.nextafter(wrong["W2"][1, 0], np.inf)
    row = row_with_r("sgd_update", case["id"], wrong)
    assert not row["r_exact_passed"] and not row["py_r_passed"] and row["py_exact_passed"]
    lines = report.case_failures([row])
    assert any("Python vs R bits differ" in x and "W2[1, 0]" in x for x in lines), lines


def test_an_r_error_fails_its_case_only():
    row = row_with_r("sigmoid", "edge/listed", CaseError("R error: object 'x' not found"))
    assert row["verdict"] == "FAIL" and row["py_exact_passed"]
    assert "object 'x' not found" in report.case_failures([row])[0]


def test_gradient_check_fails_on_a_wrong_backprop():
    cases = {fn: load_cases(fn) for fn in ("TwoLayerNet.gradient", "TwoLayerNet.numerical_gradient")}
    py = {fn: {c["id"]: run_case(fn, c) for c in cs} for fn, cs in cases.items()}
    r = {fn: dict(results) for fn, results in py.items()}
    bad = {k: v.copy() for k, v in r["TwoLayerNet.gradient"]["net/small_4_5_3/labels"].items()}
    bad["b2"][0] += 1e-4
    r["TwoLayerNet.gradient"] = {**r["TwoLayerNet.gradient"], "net/small_4_5_3/labels": bad}
    rows = {row["case"]: row for row in gradcheck_rows(cases, py, r)}
    assert rows["net/small_4_5_3/labels"]["verdict"] == "FAIL"
    assert rows["net/small_4_5_3/onehot"]["verdict"] == "pass"


def test_runner_exits_1_and_names_the_miss(r_bridge, monkeypatch, tmp_path, capsys):
    original = RBridge.run_function

    def wrong(self, function, fixtures):
        pairs = original(self, function, fixtures)
        return [(k, v * (1 + 1e-9) if k == "random/moderate" else v) for k, v in pairs]

    monkeypatch.setattr(RBridge, "run_function", wrong)
    assert main(["--functions", "sigmoid", "--quiet", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("FAIL sigmoid random/moderate: R vs exact missed by") for line in out), out
    assert out[-1] == f"{len(load_cases('sigmoid')) - 1} passed, 1 failed"


def test_closing_line_and_files(r_bridge, tmp_path, capsys):
    assert main(["--functions", "sigmoid", "softmax", "--out", str(tmp_path)]) == 0
    n = len(load_cases("sigmoid")) + len(load_cases("softmax"))
    assert capsys.readouterr().out.splitlines()[-1] == f"{n} passed, 0 failed"
    assert {p.name for p in tmp_path.iterdir()} == {"parity.json", "parity.csv", "summary.json"}


def demo_cases():
    """Two cases to append, by function, with exact expected values."""
    # sigmoid `demo/matrix_2x3`: a non-square matrix input, expected from the generator's 60-digit oracle;
    # TwoLayerNet.accuracy `ties/zero_W2_40_rows/labels`: W2 = 0 and b2 = 0 make all 5 classes tie
    # exactly (softmax of zeros is 1/5 bit for bit), the labels are all 0, so the first-maximum rule
    # gives accuracy 1.0 exactly, any other tie rule less (R's random ties survive with 5^-40).
    x = np.array([[-3.25, -0.1, 0.0], [0.7, 12.0, -30.5]])
    sigmoid = fixture_case("demo/matrix_2x3", "a non-square matrix, added by the test", "elementwise",
                           {"x": x}, exact_map(oracle.sigmoid, x))
    rng = np.random.default_rng(2027)
    params = {"W1": rng.normal(0, 1, (4, 3)), "b1": np.zeros(3), "W2": np.zeros((3, 5)), "b2": np.zeros(5)}
    ties = fixture_case("ties/zero_W2_40_rows/labels", "all 5 classes tie in 40 rows, every label 0", "exact",
                        {"params": params, "x": rng.normal(0, 1, (40, 4)), "t": np.zeros(40, dtype=np.int64)},
                        np.float64(1.0))
    return {"sigmoid": [sigmoid], "TwoLayerNet.accuracy": [ties]}


def append_cases(dest, extra):
    """Copy the fixtures to dest, append the cases, update the manifest's checksums and case counts."""
    shutil.copytree(FIXTURES_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    manifest = json.loads((dest / "manifest.json").read_text())
    for function, cases in extra.items():
        entry = manifest["files"][function]
        path = dest / entry["path"]
        text = path.read_text()
        end = text.rindex("\n]}")
        added = "".join(",\n" + json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases)
        path.write_text(text[:end] + added + text[end:])
        entry["sha256"], entry["cases"] = file_sha256(path), entry["cases"] + len(cases)
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def test_an_appended_case_appears_with_no_code_change(r_bridge, tmp_path):
    # New cases are new data: appended to a copy of the fixtures, they appear in the table.
    append_cases(tmp_path / "fixtures", demo_cases())
    result = run_parity(ROOT, tmp_path / "fixtures", ["sigmoid", "TwoLayerNet.accuracy"])
    ids = {(r["function"], r["case"]): r["verdict"] for r in result.rows}
    assert ids[("sigmoid", "demo/matrix_2x3")] == "pass"
    assert ids[("TwoLayerNet.accuracy", "ties/zero_W2_40_rows/labels")] == "pass"


def test_setup_errors_say_what_to_install():
    with pytest.raises(SetupError, match=r"pip install rpy2==3\.5\.17"):
        check_r("3.6.7", (4, 2, 2), [])
    with pytest.raises(SetupError, match="apt-get install -y r-cran-jsonlite r-cran-digest"):
        check_r("3.5.17", (4, 2, 2), ["jsonlite", "digest"])
    check_r("3.5.17", (4, 2, 2), [])


def test_mutant_list_is_fresh_and_staleness_is_loud(tmp_path):
    assert len(mutants.load_mutants()) >= 20
    stale = tmp_path / "mutants.json"
    entry = {"id": "x", "language": "R", "file": "r/functions.R", "find": "no such line", "replace": "",
             "description": "", "functions": ["sigmoid"]}
    stale.write_text(json.dumps({"mutants": [entry]}))
    with pytest.raises(mutants.MutantError, match="occurs 0 times"):
        mutants.load_mutants(stale)


def test_bad_inputs_refused_alike_in_both_languages(parity):
    catalogue = json.loads((ROOT / "fixtures" / "bad_inputs.json").read_text())
    assert sum(r["cases"] for r in parity.bad_inputs) == len(catalogue["cases"])
    assert all(r["verdict"] == "pass" for r in parity.bad_inputs)


def test_bad_input_section_fails_on_a_case_not_refused(r_bridge, tmp_path):
    from parity_tests.bad_inputs_section import bad_input_rows

    catalogue = json.loads((ROOT / "fixtures" / "bad_inputs.json").read_text())
    accepted = {"group": "type", "description": "a valid call listed as bad", "function": "sigmoid",
                "args": {"x": 0.5}, "error": "InputError", "mentions": ["x"]}
    catalogue["cases"] = [catalogue["cases"][0], accepted]
    (tmp_path / "bad_inputs.json").write_text(json.dumps(catalogue))
    # A deliberate edit: the manifest's checksum follows it (an unlisted edit is refused).
    manifest = json.loads((ROOT / "fixtures" / "manifest.json").read_text())
    manifest["policy_files"]["bad_inputs.json"] = file_sha256(tmp_path / "bad_inputs.json")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    for entry in manifest["files"].values():
        (tmp_path / entry["path"]).parent.mkdir(exist_ok=True)
        (tmp_path / entry["path"]).write_bytes((ROOT / "fixtures" / entry["path"]).read_bytes())
    rows = bad_input_rows(r_bridge, tmp_path)
    assert [r["verdict"] for r in rows] == ["FAIL"]
    assert "a valid call listed as bad" in rows[0]["misses"][0]
