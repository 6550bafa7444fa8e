"""Checksummed downloads of the MNIST files from a list of mirrors, for --download (as r/suite/download.R)."""

import hashlib
import http.client
import os
import sys
import urllib.request
from pathlib import Path

from python.mnist import IdxError
from python.suite.checkpoint import atomic_path

MIRRORS_ENV = "DLFS_MNIST_MIRRORS"
DEFAULT_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                   "https://storage.googleapis.com/cvdf-datasets/mnist/",
                   "http://yann.lecun.com/exdb/mnist/")
# SHA-256 of the canonical MNIST .gz files (the values tensorflow-datasets and torchvision-derived
# code publish; torchvision's MD5s f68b3c2d.., d53e105e.., 9fb629c4.., ec29112d.. name the same files).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def mirror_list() -> list[str]:
    """Base URLs to try in order: $DLFS_MNIST_MIRRORS (comma or space separated) or the defaults."""
    env = os.environ.get(MIRRORS_ENV, "").replace(",", " ").split()
    return [m if m.endswith("/") else m + "/" for m in env] or list(DEFAULT_MIRRORS)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fetch_from_mirrors(name: str, dest: Path, sha256: str, mirrors: list[str], log: bool) -> None:
    """Download one file atomically from the first mirror serving its bytes; else name every failure."""
    failures = []
    for base in mirrors:
        try:
            with atomic_path(dest) as tmp, urllib.request.urlopen(base + name, timeout=60) as resp:
                tmp.write_bytes(resp.read())
                if sha256_of(tmp) != sha256:
                    raise ValueError(f"SHA-256 {sha256_of(tmp)} != expected {sha256}")
            return
        except (http.client.HTTPException, OSError, ValueError) as err:  # URLError is an OSError
            failures.append(f"{base + name}: {err}")
            if log:
                print(f"download failed, trying next mirror: {failures[-1]}", file=sys.stderr)
    raise IdxError(f"{dest}: no mirror served a valid copy:\n  " + "\n  ".join(failures))


def download_mnist(dest_dir: str | Path, mirrors: list[str] | None = None,
                   checksums: dict[str, str] | None = None, log: bool = True) -> dict[str, Path]:
    """Fetch each missing or wrong file from the first mirror that serves the right bytes."""
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise IdxError(f"{dest_dir}: cannot create the download directory ({err.strerror or err})") from err
    mirrors = mirror_list() if mirrors is None else mirrors
    got = {}
    for name, sha in (MNIST_SHA256 if checksums is None else checksums).items():
        got[name] = dest_dir / name
        if not (got[name].is_file() and sha256_of(got[name]) == sha):
            fetch_from_mirrors(name, got[name], sha, mirrors, log)
    return got
