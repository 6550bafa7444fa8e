"""The training comparison (parity_tests/training_parity.py, another module's work) as parity rows."""

import importlib
import inspect
import subprocess
import tempfile
from pathlib import Path
from typing import Any

MODULE = "parity_tests.training_parity"
INFO = "info"  # rows that carry numbers but no verdict; not counted as passed or failed


def row(check: str, value: Any, bound: Any, verdict: str, detail: str = "") -> dict:
    """One row of the training section."""
    return {"check": check, "value": value, "bound": bound, "detail": detail, "verdict": verdict}


def rows_from(result: Any) -> list[dict]:
    """compare_training's dict as rows: the loss against its bound, each identity check, and 'ok'."""
    if not isinstance(result, dict):
        return [row("compare_training result", repr(result)[:80], "a dict", "FAIL", "unexpected type")]
    rows = []
    if "max_rel_loss_diff" in result:
        value, bound = result["max_rel_loss_diff"], result.get("loss_rel_bound", 0.0)
        rows.append(row("minibatch loss: max relative |Python - R|", f"{value:.3g}", f"{bound:.3g}",
                        "pass" if value <= bound else "FAIL",
                        f"{result.get('iterations')} iterations, "
                        f"{result.get('iterations_with_identical_loss')} identical, "
                        f"worst at {result.get('max_rel_loss_diff_iter')}"))
    for key, value in result.items():
        if isinstance(value, bool) and key != "ok":
            rows.append(row(key.replace("_", " "), value, True, "pass" if value else "FAIL"))
    if "max_abs_weight_diff" in result:
        rows.append(row("final weights: max |Python - R|", f"{result['max_abs_weight_diff']:.3g}", "-", INFO))
    final = result.get("final")
    if isinstance(final, dict):
        text = "; ".join(f"{lang} train {v.get('train_acc')} test {v.get('test_acc')} "
                         f"({v.get('wall_seconds', 0):.1f} s)" for lang, v in final.items())
        rows.append(row("final accuracies", "-", "-", INFO, text))
    ok = result.get("ok")
    rows.append(row("training_parity ok", ok, True, "pass" if ok is True else "FAIL",
                    " ".join(map(str, result.get("flags", [])))))
    return rows


def training_rows(context: dict[str, Any], notes: list[str]) -> list[dict]:
    """Run compare_training(tmpdir, ...) if the module exists; a printed note if it does not."""
    try:
        module = importlib.import_module(MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != MODULE:
            raise
        notes.append(f"note: {MODULE} is absent; training comparison skipped")
        return []
    compare_training = getattr(module, "compare_training", None)
    if compare_training is None:
        notes.append(f"note: {MODULE} has no compare_training(); training comparison skipped")
        return []
    accepted = inspect.signature(compare_training).parameters
    kwargs = {k: v for k, v in context.items() if k in accepted}
    with tempfile.TemporaryDirectory(prefix="parity-training-") as tmp:
        try:
            return rows_from(compare_training(Path(tmp), **kwargs))
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
            return [row("training run", f"exit {exc.returncode}", "exit 0", "FAIL",
                        f"{' '.join(map(str, exc.cmd))}: {' | '.join(tail)}")]
        except Exception as exc:  # reported as a failed row, not a crash of the whole table
            return [row("training run", type(exc).__name__, "-", "FAIL", str(exc)[:200])]
