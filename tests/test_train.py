"""The training CLI on small MNIST-format directories: outputs, determinism, refusals, flags."""

import contextlib
import csv
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import python.train
from python.mnist import load_dataset
from python.rng import Rng
from python.suite.checkpoint import decode_checkpoint, load_checkpoint, save_checkpoint
from python.suite.errors import CheckpointError, DivergedError
from python.suite.run_files import RUN_FILES as OUTPUTS
from python.suite.run_files import Run
from python.suite.train_cli import build_parser, parse_args, recorded_flags
from python.train import evaluate, main
from python.two_layer_net import PARAM_KEYS, TwoLayerNet
from tests.idx_files import write_idx

ROOT = Path(__file__).resolve().parents[1]
RSCRIPT = shutil.which("Rscript")


def write_learnable(d: Path, n_train: int = 200, n_test: int = 50) -> Path:
    """Class templates plus noise: an MNIST-format set a small net can learn."""
    rng = np.random.default_rng(42)
    templates = rng.integers(0, 256, size=(10, 28, 28))
    d.mkdir(parents=True, exist_ok=True)
    for stem, n, compress in (("train", n_train, True), ("t10k", n_test, False)):
        labels = rng.integers(0, 10, size=n)
        noise = rng.integers(-60, 61, size=(n, 28, 28))
        images = np.clip(templates[labels] + noise, 0, 255)
        suffix = ".gz" if compress else ""
        write_idx(d / f"{stem}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(d / f"{stem}-labels-idx1-ubyte{suffix}", labels, compress)
    return d


@pytest.fixture
def data_dir(tmp_path):
    return write_learnable(tmp_path / "data")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def common(data_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(data_dir), "--out", str(out), "--iters", "30", "--batch-size", "20",
            "--quiet", *extra]


def weights(path: Path) -> dict[str, np.ndarray]:
    """The four weight arrays of a checkpoint (a training checkpoint also holds the state)."""
    return {k: v for k, v in load_checkpoint(path).items() if k in PARAM_KEYS}


def test_data_dir_training_writes_six_consistent_outputs(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(common(data_dir, out, "--seed", "3")) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no temporary files left
    metrics = read_csv(out / "metrics.csv")
    assert [int(r["iter"]) for r in metrics] == list(range(30))
    epochs = read_csv(out / "epochs.csv")
    # One epoch = 200 / 20 = 10 iterations; evaluated after the update of i = 0, 10, 20.
    assert [(int(r["epoch"]), int(r["iter"])) for r in epochs] == [(0, 0), (1, 10), (2, 20)]
    assert len(re.findall(r"^train acc, test acc \| 0\.\d{4}, 0\.\d{4}$", capsys.readouterr().out, re.M)) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["flags"] == {
        "iters": 30, "batch_size": 20, "lr": 0.1, "hidden": 50, "weight_init_std": 0.01, "seed": 3,
        "grad": "backprop", "eval_every": 10, "dataset": "fashion-mnist", "data_dir": str(data_dir),
        "download": False, "out": str(out), "train_limit": None, "checkpoint_in": None, "quiet": True,
        "force": False, "resume": None}
    assert summary["status"] == "complete" and summary["resumed_from"] is None
    assert json.loads((out / "run.json").read_text())["flags"] == summary["flags"]
    assert summary["batch_generator"] == "Rng(4)" and summary["evaluations"] == 3
    assert summary["data"]["train_size"] == 200 and summary["data"]["test_size"] == 50
    for f in summary["data"]["files"].values():
        assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert summary["final_loss"] == float(metrics[-1]["loss"])
    assert summary["versions"]["language"] == "python" and summary["versions"]["numpy"] == np.__version__
    assert set(summary["timing"]) >= {"wall_seconds", "seconds_per_iteration", "train_seconds"}
    # The checkpoint holds the final weights: it reproduces the final accuracies.
    data = load_dataset(data_dir)
    net = TwoLayerNet(784, 50, 10)
    net.params = weights(out / "checkpoint.bin")
    assert evaluate(net, data.x_test, data.t_test) == summary["final_test_acc"]
    assert evaluate(net, data.x_train, data.t_train) == summary["final_train_acc"]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_it_learns(data_dir, tmp_path):
    assert main(common(data_dir, tmp_path / "run", "--iters", "300", "--lr", "0.5")) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["final_test_acc"] > 0.5 and summary["final_train_acc"] > 0.5  # chance is 0.1


def test_same_seed_same_bytes_other_seed_other_run(data_dir, tmp_path):
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert main(common(data_dir, tmp_path / name, "--seed", seed)) == 0
    for f in ("metrics.csv", "epochs.csv", "checkpoint.bin"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert (tmp_path / "a" / "metrics.csv").read_bytes() != (tmp_path / "c" / "metrics.csv").read_bytes()


def error_line(capsys) -> str:
    """The CLI's stderr, which must be exactly one line."""
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.rstrip("\n")


def test_existing_run_is_never_overwritten(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(common(data_dir, out)) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(common(data_dir, out, "--seed", "9")) == 2
    assert error_line(capsys) == (
        f"train: error: {out} holds an earlier run (run.json metrics.csv epochs.csv summary.json "
        f"checkpoint.bin curves.png); pass --force to overwrite it or --resume {out} to continue it")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # Any one of the run files marks an earlier run.
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "curves.png").write_bytes(b"x")
    assert main(common(data_dir, tmp_path / "one")) == 2
    assert "one holds an earlier run (curves.png)" in error_line(capsys)
    assert (tmp_path / "one" / "curves.png").read_bytes() == b"x"


def test_force_replaces_the_earlier_run_and_stale_temporaries(data_dir, tmp_path):
    out = tmp_path / "run"
    assert main(common(data_dir, out, "--seed", "9")) == 0
    assert main(common(data_dir, tmp_path / "ref")) == 0
    (out / "summary.json").write_text("stale")
    (out / ".metrics.csv.abc123.tmp").write_text("half a file")  # as a SIGKILL leaves it
    (out / "notes.txt").write_text("mine")  # not a run file: left alone
    assert main(common(data_dir, out, "--force")) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, "notes.txt"])
    for name in ("metrics.csv", "epochs.csv", "checkpoint.bin"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    assert json.loads((out / "summary.json").read_text())["flags"]["force"] is True


@pytest.mark.parametrize(("bad", "message"), [
    (["--iters", "0"], "--iters must be at least 1, got 0"),
    (["--batch-size", "-1"], "--batch-size must be at least 1, got -1"),
    (["--hidden", "0"], "--hidden must be at least 1, got 0"),
    (["--eval-every", "0"], "--eval-every must be at least 1, got 0"),
    (["--train-limit", "0"], "--train-limit must be at least 1, got 0"),
    (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    (["--lr", "-0.1"], "--lr must be a finite number > 0, got -0.1"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--weight-init-std", "-1"], "--weight-init-std must be a finite number >= 0, got -1.0"),
    (["--weight-init-std", "nan"], "--weight-init-std must be a finite number >= 0, got nan"),
    (["--seed", "2147483647"], "--seed must be in 0..2147483646, got 2147483647"),
    (["--seed", "-1"], "--seed must be in 0..2147483646, got -1"),
    (["--grad", "finite"], "argument --grad: invalid choice: 'finite'"),
    (["--iters", "ten"], "argument --iters: invalid int value: 'ten'"),
    (["--download"], "--download is only available with --dataset mnist"),
    (["--resume", "somewhere", "--iters", "5"], "only --quiet may be given with it, got --iters"),
    (["--resume", "somewhere", "--force"], "only --quiet may be given with it, got --force"),
])
def test_bad_flags_exit_2_with_one_line(bad, message, tmp_path, capsys):
    assert main(["--out", str(tmp_path / "x"), *bad]) == 2
    line = error_line(capsys)
    assert line.startswith("train: error: ") and message in line
    assert not (tmp_path / "x").exists()


def test_recorded_flags_are_checked_as_a_fresh_run_s(tmp_path):
    flags = {**vars(parse_args(["--lr", "0.3", "--eval-every", "7", "--download", "--dataset", "mnist"])),
             "quiet": True, "resume": "x", "data_dir": "/d"}
    again = vars(recorded_flags(flags, tmp_path / "run.json"))
    assert again == {**flags, "quiet": False, "resume": None}
    with pytest.raises(CheckpointError, match=r"run\.json: bad flags \(--iters must be at least 1, got 0\)"):
        recorded_flags({**flags, "iters": 0}, tmp_path / "run.json")


def test_data_errors_exit_2_without_outputs(data_dir, tmp_path, capsys):
    assert main(common(data_dir, tmp_path / "a", "--train-limit", "201")) == 2
    assert "--train-limit 201 exceeds the 200 training images" in error_line(capsys)
    assert main(common(data_dir, tmp_path / "a", "--batch-size", "101", "--train-limit", "100")) == 2
    assert "--batch-size 101 exceeds the 100 training images (after --train-limit)" in error_line(capsys)
    assert main(common(data_dir, tmp_path / "a", "--batch-size", "201")) == 2
    assert error_line(capsys).endswith("--batch-size 201 exceeds the 200 training images")
    (data_dir / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x32")
    assert main(common(data_dir, tmp_path / "b")) == 2
    line = error_line(capsys)
    assert line.startswith(f"train: error: {data_dir / 't10k-labels-idx1-ubyte'}: truncated")
    (data_dir / "t10k-labels-idx1-ubyte").unlink()
    assert main(common(data_dir, tmp_path / "b")) == 2
    assert "t10k-labels-idx1-ubyte[.gz]: file not found" in error_line(capsys)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_checkpoint_in_and_train_limit(data_dir, tmp_path, capsys):
    assert main(common(data_dir, tmp_path / "a", "--train-limit", "100")) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["data"]["train_size"] == 100 and summary["flags"]["eval_every"] == 5
    # With a learning rate too small to move any weight, training ends at the starting weights;
    # the training checkpoint's extra arrays are ignored.
    ckpt = tmp_path / "a" / "checkpoint.bin"
    assert main(common(data_dir, tmp_path / "b", "--checkpoint-in", str(ckpt), "--lr", "1e-300")) == 0
    start, end = weights(ckpt), weights(tmp_path / "b" / "checkpoint.bin")
    assert all(np.array_equal(start[k], end[k]) for k in PARAM_KEYS)
    capsys.readouterr()
    save_checkpoint(tmp_path / "wrong.bin", {"W1": np.zeros((3, 3))})
    assert main(common(data_dir, tmp_path / "c", "--checkpoint-in", str(tmp_path / "wrong.bin"))) == 2
    assert "wrong.bin: has no b1 W2 b2" in error_line(capsys)
    save_checkpoint(tmp_path / "shape.bin", {k: np.zeros((3, 3)) for k in PARAM_KEYS})
    assert main(common(data_dir, tmp_path / "c", "--checkpoint-in", str(tmp_path / "shape.bin"))) == 2
    assert "shape.bin: does not fit the net" in error_line(capsys)
    (tmp_path / "bad.bin").write_bytes(ckpt.read_bytes()[:-1])
    assert main(common(data_dir, tmp_path / "c", "--checkpoint-in", str(tmp_path / "bad.bin"))) == 2
    assert "bad.bin: truncated" in error_line(capsys)
    assert not (tmp_path / "c").exists()


def test_numerical_gradient_training_tracks_backprop(data_dir, tmp_path):
    args = ["--iters", "3", "--batch-size", "5", "--hidden", "3", "--train-limit", "40"]
    assert main(common(data_dir, tmp_path / "bp", *args)) == 0
    assert main(common(data_dir, tmp_path / "num", *args, "--grad", "numerical")) == 0
    bp = [float(r["loss"]) for r in read_csv(tmp_path / "bp" / "metrics.csv")]
    num = [float(r["loss"]) for r in read_csv(tmp_path / "num" / "metrics.csv")]
    np.testing.assert_allclose(num, bp, rtol=1e-6)


def test_cli_prints_plain_progress_when_not_a_terminal(data_dir, tmp_path):
    run = subprocess.run([sys.executable, "-m", "python.train", "--data-dir", str(data_dir), "--out",
                          str(tmp_path / "run"), "--iters", "20", "--batch-size", "20"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert "iter 20/20 (100%) loss " in run.stdout and "eta 0s" in run.stdout
    assert len(re.findall(r"^train acc, test acc \| ", run.stdout, re.M)) == 2
    assert "\r" not in run.stdout  # no bar when stdout is a pipe


class Garbage(http.server.BaseHTTPRequestHandler):
    """Serves the same wrong bytes for every path."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"garbage")

    def log_message(self, *args):
        pass


def test_download_flag_rejects_files_with_wrong_checksums(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "DLFS_MNIST_MIRRORS": f"http://127.0.0.1:{httpd.server_address[1]}/m/"}
        run = subprocess.run([sys.executable, "-m", "python.train", "--dataset", "mnist", "--download",
                              "--data-dir", str(tmp_path / "mnist"), "--out", str(tmp_path / "run")],
                             cwd=ROOT, capture_output=True, text=True, env=env)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert run.returncode == 2
    assert "train-images-idx3-ubyte.gz: no mirror served a valid copy" in run.stderr
    assert "SHA-256 " + hashlib.sha256(b"garbage").hexdigest() in run.stderr
    assert list((tmp_path / "mnist").iterdir()) == [] and not (tmp_path / "run").exists()


@pytest.mark.skipif(RSCRIPT is None, reason="R is not installed")
def test_r_cli_has_the_same_flags():
    py = {s for a in build_parser()._actions for s in a.option_strings if s.startswith("--")}
    r_help = subprocess.run([RSCRIPT, "r/train.R", "--help"], cwd=ROOT, capture_output=True,
                            text=True).stdout
    assert set(re.findall(r"--[a-z][a-z-]+", r_help)) == py


# Interruptions, resume and divergence (docs/robust_training.md). train() calls sgd_update once per
# iteration, so wrapping it interrupts or poisons the run at an exact iteration.

RESUME_FLAGS = ("--iters", "250", "--batch-size", "20", "--eval-every", "10", "--seed", "4")


def at_update(monkeypatch, k: int, action) -> None:
    """Make the k-th call of sgd_update (iteration k) run action(new params) instead of returning them."""
    calls = [0]
    real = python.train.sgd_update

    def wrapped(params, grads, lr):
        new = real(params, grads, lr)
        calls[0] += 1
        return action(new) if calls[0] == k + 1 else new

    monkeypatch.setattr(python.train, "sgd_update", wrapped)


def interrupt(params):
    raise KeyboardInterrupt


def poison(params):
    return {key: np.full_like(value, np.nan) for key, value in params.items()}


def run_files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("metrics.csv", "epochs.csv", "checkpoint.bin")}


def comparable(summary_path: Path) -> dict:
    """summary.json without what may differ between a run and its resumed twin."""
    summary = json.loads(summary_path.read_text())
    summary["flags"].pop("out")
    for key in ("timing", "resumed_from"):
        summary.pop(key)
    return summary


@pytest.fixture
def reference(data_dir, tmp_path) -> Path:
    out = tmp_path / "reference"
    assert main(common(data_dir, out, *RESUME_FLAGS)) == 0
    return out


@pytest.mark.parametrize(("stops", "checkpoints"), [
    ([0], [0]), ([7], [0]), ([10], [10]), ([137], [130]), ([249], [240]), ([57, 103], [50, 100]),
])
def test_interrupted_runs_resume_to_the_same_bytes(stops, checkpoints, data_dir, tmp_path, reference,
                                                   monkeypatch, capsys):
    out = tmp_path / "run"
    for run, (k, n) in enumerate(zip(stops, checkpoints, strict=True)):
        capsys.readouterr()
        with monkeypatch.context() as m:
            at_update(m, k - (checkpoints[run - 1] if run else 0), interrupt)  # a resumed run starts there
            argv = common(data_dir, out, *RESUME_FLAGS) if run == 0 else ["--resume", str(out)]
            assert main(argv) == 130
        assert error_line(capsys) == (f"train: interrupted; last checkpoint at iteration {n} in {out}; "
                                      f"continue with: python -m python.train --resume {out}")
        assert "summary.json" not in os.listdir(out)
        state = load_checkpoint(out / "checkpoint.bin")
        assert state["iterations_done"].tolist() == [n] and state["losses"].shape == (n,)
    (out / ".checkpoint.bin.k3j2.tmp").write_bytes(b"left by a SIGKILL")
    assert main(["--resume", str(out), "--quiet"]) == 0
    assert f"resuming {out}" not in capsys.readouterr().out  # --quiet
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # the stale temporary is gone
    assert run_files(out) == run_files(reference)
    assert comparable(out / "summary.json") == comparable(reference / "summary.json")
    assert json.loads((out / "summary.json").read_text())["resumed_from"] == checkpoints[-1]


def test_interrupt_while_writing_the_outputs_leaves_the_final_checkpoint(data_dir, tmp_path, reference,
                                                                         monkeypatch, capsys):
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(python.train, "write_outputs", lambda *args: interrupt(None))
        assert main(common(data_dir, out, *RESUME_FLAGS)) == 130
    assert "last checkpoint at iteration 250" in error_line(capsys)
    assert main(["--resume", str(out)]) == 0
    assert f"resuming {out} at iteration 250 of 250" in capsys.readouterr().out
    assert run_files(out) == run_files(reference)
    assert json.loads((out / "summary.json").read_text())["resumed_from"] == 250


def test_resume_of_a_complete_run_writes_nothing(reference, capsys):
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in reference.iterdir()}
    assert main(["--resume", str(reference)]) == 0
    said = capsys.readouterr().out
    assert said == f"{reference}: the run is already complete (250 iterations); nothing to do\n"
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in reference.iterdir()} == before


def test_resume_refuses_changed_data_and_bad_state(data_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        at_update(m, 33, interrupt)
        assert main(common(data_dir, out, *RESUME_FLAGS)) == 130
    capsys.readouterr()
    good = (out / "checkpoint.bin").read_bytes()
    labels = data_dir / "t10k-labels-idx1-ubyte"
    original = labels.read_bytes()
    labels.write_bytes(original[:-1] + bytes([(original[-1] + 1) % 10]))
    assert main(["--resume", str(out)]) == 2
    line = error_line(capsys)
    assert line.startswith(f"train: error: {labels}: SHA-256 ") and "differs from the" in line
    labels.write_bytes(original)
    flipped = bytearray(good)
    flipped[-5] ^= 1
    (out / "checkpoint.bin").write_bytes(bytes(flipped))
    assert main(["--resume", str(out)]) == 2
    assert "checkpoint.bin: array evals fails its SHA-256 check" in error_line(capsys)
    only_weights = {k: v for k, v in decode_checkpoint(good).items() if k in PARAM_KEYS}
    save_checkpoint(out / "checkpoint.bin", only_weights)
    assert main(["--resume", str(out)]) == 2
    assert "holds no training state (missing iterations_done batch_rng losses evals)" in error_line(capsys)
    (out / "checkpoint.bin").unlink()
    assert main(["--resume", str(out)]) == 2
    assert "checkpoint.bin: cannot read" in error_line(capsys)
    assert main(["--resume", str(tmp_path / "nowhere")]) == 2
    assert "nowhere/run.json: not found" in error_line(capsys)
    (out / "checkpoint.bin").write_bytes(good)
    assert main(["--resume", str(out), "--quiet"]) == 0


def test_divergence_exits_3_with_the_state_of_the_last_good_iteration(data_dir, tmp_path, capsys):
    # lr 1e308 overflows the weights: the loss is NaN from iteration 1 on (lr 100 would not do it:
    # the 1e-7 guard bounds the loss by 16.1).
    out, ref = tmp_path / "run", tmp_path / "one"
    assert main(common(data_dir, out, "--lr", "1e308")) == 3
    assert error_line(capsys) == (f"train: error: training diverged at iteration 1: minibatch loss nan; "
                                  f"the last good state (iteration 1) is in {out}")
    assert main(common(data_dir, ref, "--lr", "1e308", "--iters", "1")) == 0
    assert run_files(out) == run_files(ref)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["diverged_at"] == 1
    assert summary["diverged_loss"] == "nan" and summary["final_test_acc"] is None
    assert sorted(p.name for p in out.iterdir()) == sorted(set(OUTPUTS) - {"curves.png"})
    with pytest.raises(DivergedError) as err:  # the library's error carries the iteration
        args = parse_args(common(data_dir, tmp_path / "lib", "--lr", "1e308"))
        python.train.run_training(args, Run())
    assert err.value.iteration == 1


@pytest.mark.parametrize("k", [0, 137, 140, 249])
def test_divergence_found_late_still_writes_the_exact_state(k, data_dir, tmp_path, monkeypatch, capsys):
    # At, just after and just before a checkpoint, and at the last iteration: the state before k.
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        at_update(m, k, poison)
        assert main(common(data_dir, out, *RESUME_FLAGS)) == 3
    assert f"diverged at iteration {k}: minibatch loss nan" in error_line(capsys)
    state = load_checkpoint(out / "checkpoint.bin")
    assert state["iterations_done"].tolist() == [k]
    if k == 0:  # the starting state: initial weights, the batch generator unused, nothing recorded
        net, batches = TwoLayerNet(784, 50, 10, 0.01, seed=4), Rng(5)
        assert all(np.array_equal(state[key], net.params[key]) for key in PARAM_KEYS)
        assert state["batch_rng"].tolist() == [*batches.s1, *batches.s2]
        assert state["losses"].size == 0 and state["evals"].size == 0
        return
    flags = [*RESUME_FLAGS[2:], "--iters", str(k)]
    assert main(common(data_dir, tmp_path / "short", *flags)) == 0
    assert run_files(out) == run_files(tmp_path / "short")


def test_sigint_exits_130_with_one_line(data_dir, tmp_path):
    out = tmp_path / "run"
    # 5000 iterations: long enough not to end before the signal (the kill test resumes such runs).
    command = [sys.executable, "-m", "python.train", "--data-dir", str(data_dir), "--out", str(out),
               "--iters", "5000", "--batch-size", "20", "--eval-every", "10"]
    with (tmp_path / "stdout").open("w") as stdout, (tmp_path / "stderr").open("w") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr, start_new_session=True)
        try:
            done = 0
            while done < 20 and proc.poll() is None:  # until a checkpoint past the first ones is on disk
                with contextlib.suppress(OSError, ValueError):
                    done = int(load_checkpoint(out / "checkpoint.bin")["iterations_done"][0])
            os.killpg(proc.pid, signal.SIGINT)  # as ^C in a terminal: to the whole process group
            assert proc.wait(timeout=60) == 130
        finally:
            proc.kill()
    n = int(load_checkpoint(out / "checkpoint.bin")["iterations_done"][0])
    assert n >= 20
    assert (tmp_path / "stderr").read_text() == (  # one line: no traceback
        f"train: interrupted; last checkpoint at iteration {n} in {out}; "
        f"continue with: python -m python.train --resume {out}\n")
    metrics = read_csv(out / "metrics.csv")
    assert len(metrics) == n  # written with the checkpoint: ^C waits for the three files
