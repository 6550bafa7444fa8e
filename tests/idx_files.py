"""Writes IDX files, the inverse of python/mnist.py's readers: the tests make their own small datasets."""

import gzip
from pathlib import Path

import numpy as np

from python.mnist import IMAGE_MAGIC, LABEL_MAGIC


def write_idx(path: str | Path, array: np.ndarray, compress: bool = False) -> None:
    """Write a uint8 array (n,) labels or (n, rows, cols) images as an IDX file, gzipped if asked."""
    array = np.asarray(array, dtype=np.uint8)
    magic = {1: LABEL_MAGIC, 3: IMAGE_MAGIC}[array.ndim]
    data = b"".join(int(v).to_bytes(4, "big") for v in (magic, *array.shape)) + array.tobytes()
    Path(path).write_bytes(gzip.compress(data, mtime=0) if compress else data)
