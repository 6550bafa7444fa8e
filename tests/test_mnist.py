"""IDX loading (real Fashion-MNIST and bad input) and checksummed downloads from a local server."""

import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from python import mnist
from python.mnist import IdxError, load_dataset, read_images, read_labels
from python.suite import download
from tests.idx_files import write_idx

FASHION = Path(mnist.FASHION_MNIST_DIR)
# SHA-256 of the Fashion-MNIST files installed here (a repackaging: their gzip bytes, and so their
# digests, differ from the upstream archive's; the decompressed arrays are what matter).
FASHION_SHA256 = {
    "train_images": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train_labels": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "test_images": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "test_labels": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}


def make_images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def write_dataset(d: Path, n_train: int = 20, n_test: int = 5, compress: bool = True) -> None:
    d.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    write_idx(d / f"train-images-idx3-ubyte{suffix}", make_images(n_train, 1), compress)
    write_idx(d / f"train-labels-idx1-ubyte{suffix}", np.arange(n_train) % 10, compress)
    write_idx(d / f"t10k-images-idx3-ubyte{suffix}", make_images(n_test, 2), compress)
    write_idx(d / f"t10k-labels-idx1-ubyte{suffix}", np.arange(n_test) % 10, compress)


@pytest.mark.skipif(not FASHION.is_dir(), reason="Fashion-MNIST is not installed")
def test_real_fashion_mnist_loads_with_recorded_checksums():
    data = load_dataset(FASHION)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.x_train.dtype == np.uint8 and data.t_train.dtype == np.uint8
    assert data.t_train.shape == (60000,) and data.t_test.shape == (10000,)
    assert data.image_shape == (28, 28)
    assert np.bincount(data.t_train).tolist() == [6000] * 10  # Fashion-MNIST is balanced
    assert np.bincount(data.t_test).tolist() == [1000] * 10
    assert {k: v["sha256"] for k, v in data.files.items()} == FASHION_SHA256
    assert data.x_train.max() == 255 and data.x_train.min() == 0


def test_normalize():
    x = np.array([[0, 1, 128, 255]], dtype=np.uint8)
    assert mnist.normalize(x).tolist() == [[0.0, 1 / 255, 128 / 255, 1.0]]
    assert mnist.normalize(x).dtype == np.float64


@pytest.mark.parametrize("compress", [False, True])
def test_write_read_round_trip(tmp_path, compress):
    images = make_images(7, 3)
    write_idx(tmp_path / "img", images, compress)
    write_idx(tmp_path / "lab", np.arange(7) % 10, compress)
    got, shape, sha = read_images(tmp_path / "img")
    assert shape == (28, 28) and np.array_equal(got, images.reshape(7, 784))
    assert sha == hashlib.sha256((tmp_path / "img").read_bytes()).hexdigest()
    assert read_labels(tmp_path / "lab")[0].tolist() == list(range(7))


def test_gzip_is_told_by_content_not_name(tmp_path):
    write_dataset(tmp_path / "a", compress=False)
    d = tmp_path / "a"
    # A plain file named .gz and a gzip file without .gz: both still read.
    (d / "train-images-idx3-ubyte").rename(d / "train-images-idx3-ubyte.gz")
    (d / "t10k-labels-idx1-ubyte").write_bytes(gzip.compress((d / "t10k-labels-idx1-ubyte").read_bytes()))
    data = load_dataset(d)
    assert data.x_train.shape == (20, 784) and data.t_test.tolist() == [0, 1, 2, 3, 4]


def test_missing_file_is_named(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(IdxError, match=r"t10k-labels-idx1-ubyte.*not found"):
        load_dataset(tmp_path)


def test_bad_magic_is_named(tmp_path):
    write_dataset(tmp_path, compress=False)
    # Swap images and labels: each file now has the other's magic number.
    img, lab = tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte"
    img_bytes, lab_bytes = img.read_bytes(), lab.read_bytes()
    img.write_bytes(lab_bytes)
    lab.write_bytes(img_bytes)
    with pytest.raises(IdxError, match=r"train-images-idx3-ubyte: bad magic number 2049 \(expected 2051"):
        load_dataset(tmp_path)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_file_is_named(tmp_path, compress):
    write_idx(tmp_path / "img", make_images(3, 4))
    data = (tmp_path / "img").read_bytes()[:-100]
    (tmp_path / "img").write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IdxError, match=r"img: truncated: header promises 3 x 28 x 28 = 2352 bytes"):
        read_images(tmp_path / "img")


def test_truncated_gzip_stream_is_named(tmp_path):
    write_idx(tmp_path / "img.gz", make_images(30, 5), compress=True)
    (tmp_path / "img.gz").write_bytes((tmp_path / "img.gz").read_bytes()[:500])
    with pytest.raises(IdxError, match=r"img.gz: corrupt or truncated gzip stream"):
        read_images(tmp_path / "img.gz")


def test_short_header_trailing_bytes_and_bad_label(tmp_path):
    (tmp_path / "a").write_bytes(b"\x00\x00")
    with pytest.raises(IdxError, match=r"a: truncated: 2 bytes"):
        read_labels(tmp_path / "a")
    (tmp_path / "b").write_bytes((2051).to_bytes(4, "big") + b"\x00\x00\x00\x01")
    with pytest.raises(IdxError, match=r"b: truncated header"):
        read_images(tmp_path / "b")
    write_idx(tmp_path / "c", np.arange(5))
    (tmp_path / "c").write_bytes((tmp_path / "c").read_bytes() + b"\x00")
    with pytest.raises(IdxError, match=r"c: 1 unexpected bytes after the 5 bytes"):
        read_labels(tmp_path / "c")
    write_idx(tmp_path / "d", np.array([3, 10]))
    with pytest.raises(IdxError, match=r"d: label 10 outside 0..9"):
        read_labels(tmp_path / "d")


def test_count_mismatch_names_both_files(tmp_path):
    write_dataset(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(19) % 10, compress=True)
    with pytest.raises(IdxError, match=r"train-images-idx3-ubyte.gz has 20 images but .*"
                                       r"train-labels-idx1-ubyte.gz has 19 labels"):
        load_dataset(tmp_path)


# --- downloads from a local server -------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    """/403/* and /503/* fail, /good/<name> serves FILES[name], /wrong/<name> serves other bytes."""

    files: ClassVar[dict[str, bytes]] = {}
    log: ClassVar[list[str]] = []

    def do_GET(self):
        self.log.append(self.path)
        route, _, name = self.path.strip("/").partition("/")
        if route in ("403", "503"):
            self.send_error(int(route))
            return
        if name not in self.files or route not in ("good", "wrong"):
            self.send_error(404)
            return
        body = self.files[name] if route == "good" else self.files[name][::-1]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    write_dataset(tmp_path / "src", n_train=12, n_test=4)
    Handler.files = {p.name: p.read_bytes() for p in (tmp_path / "src").iterdir()}
    Handler.log = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    sums = {name: hashlib.sha256(body).hexdigest() for name, body in Handler.files.items()}
    yield base, sums
    httpd.shutdown()
    httpd.server_close()


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more


def test_download_falls_through_403_503_and_refused(server, tmp_path):
    base, sums = server
    mirrors = [f"{base}/403/", f"{base}/503/", refused_url(), f"{base}/good/"]
    got = download.download_mnist(tmp_path / "dl", mirrors, sums, log=False)
    for name, path in got.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sums[name]
    first = sorted(sums)[0]
    tried = [p for p in Handler.log if p.endswith(first)]
    assert tried == [f"/403/{first}", f"/503/{first}", f"/good/{first}"]
    assert load_dataset(tmp_path / "dl").x_train.shape == (12, 784)
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == sorted(sums)  # no temp files left


def test_wrong_checksum_is_rejected_then_next_mirror_used(server, tmp_path):
    base, sums = server
    download.download_mnist(tmp_path / "dl", [f"{base}/wrong/", f"{base}/good/"], sums, log=False)
    for name, digest in sums.items():
        assert hashlib.sha256((tmp_path / "dl" / name).read_bytes()).hexdigest() == digest
    assert sum(p.startswith("/wrong/") for p in Handler.log) == len(sums)


def test_no_valid_mirror_leaves_nothing(server, tmp_path):
    base, sums = server
    match = r"no mirror served a valid copy(.|\n)*SHA-256 [0-9a-f]{64} != expected"
    with pytest.raises(IdxError, match=match):
        download.download_mnist(tmp_path / "dl", [f"{base}/wrong/", f"{base}/403/"], sums, log=False)
    assert list((tmp_path / "dl").iterdir()) == []


def test_valid_existing_file_is_not_fetched_again(server, tmp_path):
    base, sums = server
    download.download_mnist(tmp_path / "dl", [f"{base}/good/"], sums, log=False)
    n = len(Handler.log)
    (tmp_path / "dl" / sorted(sums)[0]).write_bytes(b"damaged")
    download.download_mnist(tmp_path / "dl", [f"{base}/good/"], sums, log=False)
    assert Handler.log[n:] == [f"/good/{sorted(sums)[0]}"]  # only the damaged file is fetched again


def test_mirror_list_from_environment(monkeypatch):
    monkeypatch.setenv(download.MIRRORS_ENV, "http://a/x, http://b/y/")
    assert download.mirror_list() == ["http://a/x/", "http://b/y/"]
    monkeypatch.delenv(download.MIRRORS_ENV)
    assert download.mirror_list() == list(download.DEFAULT_MIRRORS)
    assert len(download.MNIST_SHA256) == 4 and all(len(v) == 64 for v in download.MNIST_SHA256.values())


def test_huge_header_dimensions_are_refused_without_allocating(tmp_path):
    # 2^31 - 1 images of 28 x 28 would be 1.7 TB: the file's length is checked first.
    header = b"".join(v.to_bytes(4, "big") for v in (2051, 2**31 - 1, 28, 28))
    (tmp_path / "img").write_bytes(header + b"\0" * 9)
    with pytest.raises(IdxError, match=r"img: truncated: header promises 2147483647 x 28 x 28 = "
                                       r"1683627179248 bytes of image data, file has 9"):
        read_images(tmp_path / "img")
    (tmp_path / "lab").write_bytes((2049).to_bytes(4, "big") + (2**32 - 1).to_bytes(4, "big"))
    with pytest.raises(IdxError, match=r"lab: invalid header: dimension 4294967295 is more than 2\^31 - 1"):
        read_labels(tmp_path / "lab")


@pytest.mark.parametrize(("cut", "problem"), [(slice(None, -4), "truncated"), (slice(None, -1), "truncated")])
def test_gzip_trailer_cut_or_wrong_is_an_error(tmp_path, cut, problem):
    write_idx(tmp_path / "lab.gz", np.arange(30) % 10, compress=True)
    raw = (tmp_path / "lab.gz").read_bytes()
    (tmp_path / "lab.gz").write_bytes(raw[cut])
    with pytest.raises(IdxError, match=rf"lab.gz: corrupt or {problem} gzip stream"):
        read_labels(tmp_path / "lab.gz")
    (tmp_path / "lab.gz").write_bytes(raw[:-4] + bytes([raw[-4] ^ 1]) + raw[-3:])  # the recorded length
    with pytest.raises(IdxError, match=r"lab.gz: corrupt or truncated gzip stream"):
        read_labels(tmp_path / "lab.gz")


def test_download_directory_that_cannot_be_made_is_named(tmp_path):
    (tmp_path / "taken").write_text("a file, not a directory")
    with pytest.raises(IdxError, match=r"taken: cannot create the download directory"):
        download.download_mnist(tmp_path / "taken", [], {"x.gz": "0" * 64}, log=False)
