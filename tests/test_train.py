"""The training CLI on small MNIST-format directories: outputs, determinism, refusals, flags."""

import csv
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from python.checkpoint import load_checkpoint, save_checkpoint
from python.mnist import load_dataset, write_idx
from python.train import OUTPUTS, build_parser, count_correct, main
from python.two_layer_net import TwoLayerNet

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


def test_data_dir_training_writes_five_consistent_outputs(data_dir, tmp_path, capsys):
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
        "download": False, "out": str(out), "train_limit": None, "checkpoint_in": None, "quiet": True}
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
    net.params = load_checkpoint(out / "checkpoint.bin")
    assert count_correct(net, data.x_test, data.t_test) / 50 == summary["final_test_acc"]
    assert count_correct(net, data.x_train, data.t_train) / 200 == summary["final_train_acc"]
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


def test_existing_run_is_never_overwritten(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(common(data_dir, out)) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(common(data_dir, out, "--seed", "9")) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("bad", [["--iters", "0"], ["--batch-size", "-1"], ["--grad", "finite"],
                                 ["--download"], ["--seed", "2147483647"], ["--eval-every", "0"]])
def test_bad_flags_exit_2(bad, tmp_path):
    with pytest.raises(SystemExit) as err:
        main(["--out", str(tmp_path / "x"), *bad])
    assert err.value.code == 2
    assert not (tmp_path / "x").exists()


def test_data_errors_exit_1_without_outputs(data_dir, tmp_path, capsys):
    assert main(common(data_dir, tmp_path / "a", "--train-limit", "201")) == 1
    assert "--train-limit 201 exceeds the 200 training images" in capsys.readouterr().err
    (data_dir / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x32")
    assert main(common(data_dir, tmp_path / "b")) == 1
    assert "t10k-labels-idx1-ubyte: truncated" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_checkpoint_in_and_train_limit(data_dir, tmp_path):
    assert main(common(data_dir, tmp_path / "a", "--train-limit", "100")) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["data"]["train_size"] == 100 and summary["flags"]["eval_every"] == 5
    # With lr 0, training from a checkpoint ends at exactly that checkpoint.
    ckpt = tmp_path / "a" / "checkpoint.bin"
    assert main(common(data_dir, tmp_path / "b", "--checkpoint-in", str(ckpt), "--lr", "0")) == 0
    assert (tmp_path / "b" / "checkpoint.bin").read_bytes() == ckpt.read_bytes()
    save_checkpoint(tmp_path / "wrong.bin", {"W1": np.zeros((3, 3))})
    assert main(common(data_dir, tmp_path / "c", "--checkpoint-in", str(tmp_path / "wrong.bin"))) == 1


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
    assert run.returncode == 1
    assert "train-images-idx3-ubyte.gz: no mirror served a valid copy" in run.stderr
    assert "SHA-256 " + hashlib.sha256(b"garbage").hexdigest() in run.stderr
    assert list((tmp_path / "mnist").iterdir()) == [] and not (tmp_path / "run").exists()


@pytest.mark.skipif(RSCRIPT is None, reason="R is not installed")
def test_r_cli_has_the_same_flags():
    py = {s for a in build_parser()._actions for s in a.option_strings if s.startswith("--")}
    r_help = subprocess.run([RSCRIPT, "r/train.R", "--help"], cwd=ROOT, capture_output=True,
                            text=True).stdout
    assert set(re.findall(r"--[a-z][a-z-]+", r_help)) == py
