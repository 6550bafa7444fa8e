"""MNIST-format (IDX) data, read strictly (downloads: python/suite/download.py); per-batch scaling."""

import gzip
import hashlib
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from python.suite.errors import DataFileError

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049  # 0x00000803 (ubyte, 3 dims), 0x00000801 (ubyte, 1 dim)
GZIP_MAGIC = b"\x1f\x8b"
N_CLASSES = 10
MAX_EXTENT = 2**31 - 1  # R's largest dimension: larger ones are refused in both languages
STEMS = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

U8 = NDArray[np.uint8]


class IdxError(DataFileError):
    """A data file is missing, not IDX, truncated or inconsistent; the message names the file."""


@dataclass
class MnistData:
    """Images as uint8 rows (n, rows*cols), labels as uint8 codes 0..9, and where they came from."""

    x_train: U8
    t_train: U8
    x_test: U8
    t_test: U8
    image_shape: tuple[int, int]
    files: dict[str, dict[str, str]]


def read_content(path: Path) -> tuple[bytes, str]:
    """The (gunzipped if it starts with the gzip magic) content of path, and the file's SHA-256."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise IdxError(f"{path}: cannot read ({err.strerror or err})") from err
    sha = hashlib.sha256(raw).hexdigest()
    if raw[:2] != GZIP_MAGIC:
        return raw, sha
    try:
        return gzip.decompress(raw), sha
    except (EOFError, OSError, zlib.error) as err:
        raise IdxError(f"{path}: corrupt or truncated gzip stream ({err})") from err


def parse_idx(data: bytes, path: Path, magic: int) -> tuple[tuple[int, ...], U8]:
    """Check magic, header and payload length of an IDX ubyte file; return dims and the bytes."""
    kind = "image" if magic == IMAGE_MAGIC else "label"
    ndim = magic & 0xFF
    if len(data) < 4:
        raise IdxError(f"{path}: truncated: {len(data)} bytes, too short for an IDX magic number")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise IdxError(f"{path}: bad magic number {found} (expected {magic} for an IDX {kind} file)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxError(f"{path}: truncated header: {len(data)} bytes, need {header}")
    dims = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    for d in dims:
        if d > MAX_EXTENT:
            raise IdxError(f"{path}: invalid header: dimension {d} is more than 2^31 - 1")
    need = math.prod(dims)  # exact: the file's length is checked before any array is made
    have = len(data) - header
    if have < need:
        raise IdxError(f"{path}: truncated: header promises {' x '.join(map(str, dims))} = {need} "
                       f"bytes of {kind} data, file has {have}")
    if have > need:
        raise IdxError(f"{path}: {have - need} unexpected bytes after the {need} bytes of {kind} data")
    return dims, np.frombuffer(data, dtype=np.uint8, offset=header)


def read_images(path: Path) -> tuple[U8, tuple[int, int], str]:
    """Images of an IDX3 file as uint8 rows, their (rows, cols), and the file's SHA-256."""
    data, sha = read_content(path)
    (n, rows, cols), pixels = parse_idx(data, path, IMAGE_MAGIC)
    if rows * cols > MAX_EXTENT:
        raise IdxError(f"{path}: images of {rows} x {cols} pixels: more than 2^31 - 1 per image")
    return pixels.reshape(n, rows * cols), (rows, cols), sha


def read_labels(path: Path) -> tuple[U8, str]:
    """Labels of an IDX1 file as uint8 codes (checked to lie in 0..9), and the file's SHA-256."""
    data, sha = read_content(path)
    _, labels = parse_idx(data, path, LABEL_MAGIC)
    if labels.size and labels.max() >= N_CLASSES:
        raise IdxError(f"{path}: label {int(labels.max())} outside 0..{N_CLASSES - 1}")
    return labels, sha


def find_file(data_dir: Path, stem: str) -> Path:
    """stem.gz or stem in data_dir (gzip is detected from the content, not the name)."""
    for name in (f"{stem}.gz", stem):
        if (Path(data_dir) / name).is_file():
            return Path(data_dir) / name
    raise IdxError(f"{Path(data_dir) / stem}[.gz]: file not found")


def load_dataset(data_dir: str | Path) -> MnistData:
    """Read and cross-check the four IDX files of data_dir; pixels stay uint8."""
    paths = {key: find_file(Path(data_dir), stem) for key, stem in STEMS.items()}
    x_train, shape, sha_xtr = read_images(paths["train_images"])
    t_train, sha_ttr = read_labels(paths["train_labels"])
    x_test, test_shape, sha_xte = read_images(paths["test_images"])
    t_test, sha_tte = read_labels(paths["test_labels"])
    for x, t, xp, tp in ((x_train, t_train, "train_images", "train_labels"),
                         (x_test, t_test, "test_images", "test_labels")):
        if x.shape[0] != t.shape[0]:
            raise IdxError(f"{paths[xp]} has {x.shape[0]} images but {paths[tp]} has {t.shape[0]} labels")
    if test_shape != shape:
        raise IdxError(f"{paths['test_images']}: images are {test_shape}, training images are {shape}")
    shas = dict(zip(STEMS, (sha_xtr, sha_ttr, sha_xte, sha_tte), strict=True))
    files = {key: {"path": str(paths[key].resolve()), "sha256": shas[key]} for key in STEMS}
    return MnistData(x_train, t_train, x_test, t_test, shape, files)


def normalize(x: U8) -> NDArray[np.float64]:
    """Pixels scaled to [0, 1] as float64 (the book's normalize=True); use per batch or chunk."""
    return x.astype(np.float64) / 255.0


def default_data_dir(dataset: str) -> Path:
    """Where a dataset lives unless --data-dir says otherwise."""
    if dataset == "fashion-mnist":
        return Path(FASHION_MNIST_DIR)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dlfs" / "mnist"

