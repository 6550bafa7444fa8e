"""Fuzz test of the IDX reader: seeded truncations, byte flips, insertions and header edits of real files.

Each mutation gives a result consistent with the mutated file or a DataFileError naming it
(tests/fuzz_helpers.py).
"""

import gzip
import hashlib
import random
import zlib
from pathlib import Path

import numpy as np

from python import mnist
from python.suite.errors import DataFileError
from tests.fuzz_helpers import SEED, Tally, mutate_bytes, outcome_of
from tests.idx_files import write_idx

IDX_MUTATIONS = 3000
REAL_LABELS = Path(mnist.FASHION_MNIST_DIR) / "t10k-labels-idx1-ubyte.gz"


def set_header_field(content: bytes, rng: random.Random) -> bytes:
    """The magic number or one dimension set to an edge value (huge ones included)."""
    ndim = content[3]
    field = rng.randrange(1 + ndim)
    old = int.from_bytes(content[4 * field:4 * field + 4], "big")
    value = rng.choice([0, 1, 2**24, 2**31 - 1, 2**31, 2**32 - 1, old + 1, max(old - 1, 0),
                        rng.getrandbits(32)])
    return content[:4 * field] + value.to_bytes(4, "big") + content[4 * field + 4:]


def idx_sources(tmp: Path) -> list[tuple[str, str, bytes]]:
    """(name, kind, file bytes): small images and labels written by write_idx, plain and gzip, and the
    real Fashion-MNIST test labels."""
    rng = np.random.default_rng(SEED)
    images = rng.integers(0, 256, size=(4, 6, 5), dtype=np.uint8)
    labels = rng.integers(0, 10, size=30, dtype=np.uint8)
    out = []
    for name, array, kind in (("images", images, "images"), ("labels", labels, "labels")):
        for compress in (False, True):
            path = tmp / (name + ".gz" * compress)
            write_idx(path, array, compress)
            out.append((path.name, kind, path.read_bytes()))
    if REAL_LABELS.is_file():
        out.append((REAL_LABELS.name, "labels", REAL_LABELS.read_bytes()))
    return out


def check_idx_result(kind: str, raw: bytes, value: tuple) -> str:
    """Why a result does not match the mutated file ('' if it does)."""
    content = zlib.decompress(raw, 31) if raw[:2] == mnist.GZIP_MAGIC else raw
    dims = [int.from_bytes(content[4 + 4 * k:8 + 4 * k], "big") for k in range(content[3])]
    payload = content[4 + 4 * len(dims):]
    if kind == "images":
        x, shape, sha = value
        ok = x.shape == (dims[0], dims[1] * dims[2]) and shape == tuple(dims[1:]) and x.tobytes() == payload
    else:
        x, sha = value
        ok = x.shape == (dims[0],) and x.tobytes() == payload and bool((x < 10).all())
    ok = ok and sha == hashlib.sha256(raw).hexdigest()
    return "" if ok else f"result inconsistent with the file (header {dims})"


def test_idx_reader_fuzz(tmp_path):
    rng = random.Random(SEED)
    sources = idx_sources(tmp_path)
    readers = {"images": mnist.read_images, "labels": mnist.read_labels}
    ops = ["truncate", "flip", "insert", "append", "header", "gzip_content"]
    tally = Tally()
    path = tmp_path / "mutant"
    for _ in range(IDX_MUTATIONS):
        name, kind, raw = rng.choice(sources)
        gz = raw[:2] == mnist.GZIP_MAGIC
        op = rng.choice(ops[:5] + ops[5:] * gz)
        if op in ("header", "gzip_content"):
            content = gzip.decompress(raw) if gz else raw
            content = (set_header_field(content, rng) if op == "header"
                       else mutate_bytes(content, rng, rng.choice(ops[:4])))
            mutant = gzip.compress(content, mtime=0) if gz else content
        else:
            mutant = mutate_bytes(raw, rng, op)
        path.write_bytes(mutant)
        outcome, value = outcome_of(lambda k=kind: readers[k](path), DataFileError, str(path))
        if outcome == "result":
            why = check_idx_result(kind, mutant, value)
            outcome, value = ("other_failure", why) if why else (outcome, value)
        tally.add(op, outcome, f"{name}: {value}")
    tally.write("idx", {"sources": [name for name, _, _ in sources]})
    assert tally.failures == [], tally.failures[:5]
    assert tally.total("clear_error") > IDX_MUTATIONS / 2 and tally.total("result") > 0
