"""Checkpoints both languages read and write byte for byte, and atomic (temp then rename) writes.

Format (version 1):
    line 1: ``DLFS-CHECKPOINT 1``
    line 2: a one-line JSON header, built in a fixed key order with no spaces:
            {"format":"dlfs-checkpoint","version":1,"dtype":"<f8","order":"C",
             "arrays":[{"name":"W1","shape":[784,50],"offset":0,"nbytes":313600,"sha256":"..."},...]}
    then:   the arrays' raw little-endian float64 values, row-major, concatenated in header order.
``offset`` counts from the first byte after the header's newline; ``sha256`` is that of the array's bytes.
A training checkpoint adds the training state to W1 b1 W2 b2 (python/suite/train_state.py).
r/suite/checkpoint.R mirrors these functions under the same names.
"""

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from python.suite.errors import CheckpointError

MAGIC = b"DLFS-CHECKPOINT 1\n"
PARAM_KEYS = ("W1", "b1", "W2", "b2")
Array = NDArray[np.float64]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to path; rename it over path only if the block succeeds."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    mask = os.umask(0o022)  # mkstemp's 0600 becomes what a plain open() gives: 0666 minus the umask
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write bytes (or UTF-8 text) to path through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def encode_checkpoint(params: dict[str, Array]) -> bytes:
    """The checkpoint bytes for named float64 arrays, in the dict's order."""
    entries, blobs, offset = [], [], 0
    for name, value in params.items():
        arr = np.asarray(value)
        if arr.dtype != np.float64:
            raise TypeError(f"checkpoint array {name} must be float64, got {arr.dtype}")
        blob = arr.astype("<f8").tobytes(order="C")
        entries.append(f'{{"name":{json.dumps(name)},"shape":[{",".join(str(d) for d in arr.shape)}],'
                       f'"offset":{offset},"nbytes":{len(blob)},'
                       f'"sha256":"{hashlib.sha256(blob).hexdigest()}"}}')
        blobs.append(blob)
        offset += len(blob)
    header = ('{"format":"dlfs-checkpoint","version":1,"dtype":"<f8","order":"C","arrays":['
              + ",".join(entries) + "]}\n")
    return MAGIC + header.encode("ascii") + b"".join(blobs)


def decode_checkpoint(data: bytes, source: str = "<bytes>") -> dict[str, Array]:
    """Named float64 arrays from checkpoint bytes, every length and checksum verified."""
    if not data.startswith(MAGIC):
        raise CheckpointError(f"{source}: not a DLFS checkpoint (first line is not {MAGIC!r})")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise CheckpointError(f"{source}: truncated header (no end of line)")
    try:
        header = json.loads(data[len(MAGIC):end])
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{source}: header is not valid JSON ({err})") from err
    if header.get("version") != 1 or header.get("dtype") != "<f8" or header.get("order") != "C":
        raise CheckpointError(f"{source}: unsupported header {header.get('version')!r} "
                              f"{header.get('dtype')!r} {header.get('order')!r}")
    body = data[end + 1:]
    total = sum(a["nbytes"] for a in header["arrays"])
    if len(body) != total:
        raise CheckpointError(f"{source}: {'truncated' if len(body) < total else 'trailing bytes'}: "
                              f"header lists {total} bytes of arrays, file has {len(body)}")
    out = {}
    for a in header["arrays"]:
        blob = body[a["offset"]:a["offset"] + a["nbytes"]]
        count = int(np.prod(a["shape"], dtype=np.int64))
        if len(blob) != a["nbytes"] or a["nbytes"] != 8 * count:
            raise CheckpointError(f"{source}: array {a['name']} has inconsistent offset/shape/nbytes")
        if hashlib.sha256(blob).hexdigest() != a["sha256"]:
            raise CheckpointError(f"{source}: array {a['name']} fails its SHA-256 check")
        out[a["name"]] = np.frombuffer(blob, dtype="<f8").astype(np.float64).reshape(a["shape"])
    return out


def save_checkpoint(path: str | Path, params: dict[str, Array]) -> None:
    """Write params as a checkpoint file, atomically."""
    write_atomic(path, encode_checkpoint(params))


def load_checkpoint(path: str | Path) -> dict[str, Array]:
    """Read a checkpoint file written by either language."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read ({err.strerror or err})") from err
    return decode_checkpoint(data, str(path))


def load_weights(path: str | Path) -> dict[str, Array]:
    """W1 b1 W2 b2 of any checkpoint file (other arrays, such as a training state, are ignored)."""
    arrays = load_checkpoint(path)
    missing = [key for key in PARAM_KEYS if key not in arrays]
    if missing:
        raise CheckpointError(f"{path}: has no {' '.join(missing)}; --checkpoint-in needs the arrays "
                              f"{' '.join(PARAM_KEYS)}")
    return {key: arrays[key] for key in PARAM_KEYS}

