"""Checkpoint format: bit-exact round trips, corruption detection, atomic writes, Python <-> R."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from python.rng import Rng
from python.suite.checkpoint import (
    MAGIC,
    atomic_path,
    encode_checkpoint,
    load_checkpoint,
    load_weights,
    save_checkpoint,
    write_atomic,
)
from python.suite.errors import CheckpointError
from python.two_layer_net import TwoLayerNet

ROOT = Path(__file__).resolve().parents[1]
RSCRIPT = shutil.which("Rscript")
SPECIAL = np.array([0.0, -0.0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308,
                    np.inf, -np.inf, np.nan, 1 / 3, -1e-300])


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def same_bits(p: dict, q: dict) -> bool:
    return list(p) == list(q) and all(
        p[k].shape == q[k].shape and np.array_equal(bits(p[k]), bits(q[k])) for k in p)


def test_round_trip_is_bit_exact_with_special_values(tmp_path):
    params = {"W1": Rng(1).normal(12).reshape(3, 4), "b1": SPECIAL.copy(),
              "W2": SPECIAL.reshape(5, 2), "b2": np.array([])}
    save_checkpoint(tmp_path / "c.bin", params)
    back = load_checkpoint(tmp_path / "c.bin")
    assert same_bits(params, back)
    assert encode_checkpoint(back) == (tmp_path / "c.bin").read_bytes()


def test_layout_is_as_documented():
    data = encode_checkpoint({"W": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), "b": np.array([0.5])})
    assert data.startswith(MAGIC)
    head, body = data[len(MAGIC):].split(b"\n", 1)
    header = json.loads(head)
    assert [a["name"] for a in header["arrays"]] == ["W", "b"]
    assert header["arrays"][0]["shape"] == [2, 3] and header["arrays"][1]["offset"] == 48
    assert body == np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5], dtype="<f8").tobytes()  # row-major


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: b"X" + d[1:], "not a DLFS checkpoint"),
    (lambda d: d[:-8], "truncated: header lists"),
    (lambda d: d + b"\x00", "trailing bytes"),
    (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "fails its SHA-256 check"),
    (lambda d: d[:len(MAGIC) + 5], "truncated header"),
    (lambda d: d.replace(b'"version":1', b'"version":2'), "unsupported header"),
])
def test_damaged_checkpoints_are_rejected(tmp_path, damage, message):
    data = encode_checkpoint({"W1": np.eye(3), "b1": np.ones(3)})
    (tmp_path / "c.bin").write_bytes(damage(data))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "c.bin")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "missing.bin")


def test_failed_write_keeps_the_old_file(tmp_path):
    write_atomic(tmp_path / "f.txt", "old\n")
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "f.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert (tmp_path / "f.txt").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # no temporary file left
    with pytest.raises(TypeError):
        save_checkpoint(tmp_path / "f.txt", {"W": np.zeros(2, dtype=np.float32)})
    assert (tmp_path / "f.txt").read_text() == "old\n"


def test_load_weights_takes_the_four_arrays_of_any_checkpoint(tmp_path):
    net = TwoLayerNet(6, 4, 3, seed=2)
    save_checkpoint(tmp_path / "w.bin", {**net.params, "losses": np.ones(2)})
    weights = load_weights(tmp_path / "w.bin")
    assert list(weights) == ["W1", "b1", "W2", "b2"]
    assert all(np.array_equal(bits(weights[k]), bits(net.params[k])) for k in weights)
    save_checkpoint(tmp_path / "part.bin", {"W1": net.params["W1"], "b2": net.params["b2"]})
    with pytest.raises(CheckpointError, match=r"part\.bin: has no b1 W2; --checkpoint-in needs the arrays"):
        load_weights(tmp_path / "part.bin")


def test_net_params_survive_a_checkpoint(tmp_path):
    net = TwoLayerNet(784, 50, 10, seed=3)
    save_checkpoint(tmp_path / "c.bin", net.params)
    other = TwoLayerNet(784, 50, 10, seed=4)
    other.params = load_checkpoint(tmp_path / "c.bin")
    x = Rng(11).uniform(20 * 784).reshape(20, 784)
    assert np.array_equal(other.predict(x), net.predict(x))


R_CROSS = """
source("r/load.R")
dir <- commandArgs(TRUE)[[1]]
p <- load_checkpoint(file.path(dir, "py.bin"))
net <- TwoLayerNet(784, 50, 10, seed = 4)
net$params <- p
write_checkpoint(file.path(dir, "py_resaved_by_r.bin"), net$params)
x <- load_checkpoint(file.path(dir, "x.bin"))$x
write_checkpoint(file.path(dir, "r_pred.bin"), list(y = predict(net, x)))
write_checkpoint(file.path(dir, "r.bin"), TwoLayerNet(784, 50, 10, seed = 5)$params)
write_checkpoint(file.path(dir, "r_special.bin"), list(s = c(0, -0, 5e-324, -2.2250738585072014e-308,
  1.7976931348623157e308, Inf, -Inf, NaN, 1 / 3, -1e-300)))
"""


@pytest.mark.skipif(RSCRIPT is None, reason="R is not installed")
def test_python_and_r_read_each_others_checkpoints_bit_exactly(tmp_path):
    net = TwoLayerNet(784, 50, 10, seed=3)
    save_checkpoint(tmp_path / "py.bin", net.params)
    x = Rng(11).uniform(20 * 784).reshape(20, 784)
    save_checkpoint(tmp_path / "x.bin", {"x": x})
    subprocess.run([RSCRIPT, "-e", R_CROSS, str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    # Python -> R -> Python: R read the exact bits (it writes them back byte for byte).
    assert (tmp_path / "py_resaved_by_r.bin").read_bytes() == (tmp_path / "py.bin").read_bytes()
    # Same weights, same predictions: same classes; probabilities equal up to the two BLAS
    # libraries' summation order (measured 3e-16 relative).
    y_r, y_py = load_checkpoint(tmp_path / "r_pred.bin")["y"], net.predict(x)
    assert np.array_equal(np.argmax(y_r, axis=1), np.argmax(y_py, axis=1))
    np.testing.assert_allclose(y_r, y_py, rtol=1e-14, atol=0)
    # R -> Python: R's TwoLayerNet(seed = 5) is Python's, bit for bit, and re-encodes identically.
    from_r = load_checkpoint(tmp_path / "r.bin")
    assert same_bits(from_r, TwoLayerNet(784, 50, 10, seed=5).params)
    assert encode_checkpoint(from_r) == (tmp_path / "r.bin").read_bytes()
    special = load_checkpoint(tmp_path / "r_special.bin")["s"]
    assert np.array_equal(bits(special[SPECIAL == SPECIAL]), bits(SPECIAL[SPECIAL == SPECIAL]))
    assert np.isnan(special[7])
