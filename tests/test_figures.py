"""The chapter's figures: regenerated in both languages, each a complete PNG of the expected size."""

import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from python import figures

ROOT = Path(__file__).resolve().parents[1]
SIZE = (640, 480)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a complete PNG file, checking its signature, IHDR and closing IEND chunk."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG (signature {data[:8]!r})")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise ValueError(f"{path}: the first chunk is not IHDR")
    if zlib.crc32(data[12:29]) != struct.unpack(">I", data[29:33])[0]:
        raise ValueError(f"{path}: IHDR checksum mismatch")
    if data[-12:] != b"\x00\x00\x00\x00IEND\xaeB`\x82":
        raise ValueError(f"{path}: truncated (no IEND chunk at the end)")
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run's two CSV files, as python/train.py and r/train.R write them (5 epochs of 10 iterations)."""
    run = tmp_path_factory.mktemp("run")
    losses = "".join(f"{i},{2.3 - 0.03 * i}\n" for i in range(50))
    (run / "metrics.csv").write_text("iter,loss\n" + losses)
    epochs = "".join(f"{e},{10 * e},{0.1 + 0.15 * e},{0.1 + 0.14 * e}\n" for e in range(6))
    (run / "epochs.csv").write_text("epoch,iter,train_acc,test_acc\n" + epochs)
    return run


def check_all(directory: Path) -> None:
    for name in figures.NAMES:
        path = directory / name
        assert path.stat().st_size > 5000, f"{path} is nearly empty"
        assert png_size(path) == SIZE, path


def test_python_draws_every_figure(tmp_path, run_dir):
    paths = figures.draw_all(tmp_path, run_dir)
    assert [p.name for p in paths] == list(figures.NAMES)
    check_all(tmp_path)


def test_r_draws_every_figure(tmp_path, run_dir):
    proc = subprocess.run(["Rscript", str(ROOT / "r" / "figures.R"), "--out", str(tmp_path), "--run",
                           str(run_dir)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
    check_all(tmp_path)


@pytest.mark.parametrize("language", ["python", "r"])
def test_committed_copies(language):
    check_all(ROOT / "docs" / "figures" / language)


def test_png_check_can_fail(tmp_path, run_dir):
    figures.fig4_7(tmp_path / "good.png")
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:-40])
    (tmp_path / "text.png").write_bytes(b"not an image")
    wide = bytearray(data)
    wide[16:20] = struct.pack(">I", 641)
    (tmp_path / "wide.png").write_bytes(bytes(wide))
    for name, words in [("cut.png", "truncated"), ("text.png", "not a PNG"), ("wide.png", "checksum")]:
        with pytest.raises(ValueError, match=words):
            png_size(tmp_path / name)
    assert png_size(tmp_path / "good.png") == SIZE
