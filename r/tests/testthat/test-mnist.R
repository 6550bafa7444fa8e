# IDX loading (real Fashion-MNIST and bad input) and checksummed downloads
# from a local HTTP server. Mirrors tests/test_mnist.py.

root <- normalizePath(testthat::test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

fashion_dir <- "/usr/share/datasets/fashion-mnist"

# Deterministic pixel values 0..255 as an n x 28 x 28 array.
make_images <- function(n, seed) {
  array(integers(rng(seed), 256, n * 784), c(n, 28, 28))
}

write_dataset <- function(d, n_train = 20L, n_test = 5L, compress = TRUE) {
  dir.create(d, recursive = TRUE, showWarnings = FALSE)
  suffix <- if (compress) ".gz" else ""
  name <- function(stem) file.path(d, paste0(stem, suffix))
  write_idx(name("train-images-idx3-ubyte"), make_images(n_train, 1), compress)
  write_idx(name("train-labels-idx1-ubyte"), seq_len(n_train) %% 10L, compress)
  write_idx(name("t10k-images-idx3-ubyte"), make_images(n_test, 2), compress)
  write_idx(name("t10k-labels-idx1-ubyte"), seq_len(n_test) %% 10L, compress)
  invisible(d)
}

test_that("real Fashion-MNIST: the checksums and values Python sees", {
  skip_if_not(dir.exists(fashion_dir), "Fashion-MNIST is not installed")
  data <- load_dataset(fashion_dir)
  expect_identical(dim(data$x_train), c(60000L, 784L))
  expect_identical(dim(data$x_test), c(10000L, 784L))
  expect_type(data$x_train, "raw")
  expect_identical(tabulate(data$t_train + 1L, 10L), rep(6000L, 10))
  expect_identical(tabulate(data$t_test + 1L, 10L), rep(1000L, 10))
  expect_identical(
    vapply(data$files, function(f) f$sha256, ""),
    c(train_images = paste0("b0564c3eedabfbf835052cff8503ea42",
                            "2014ce006caf5b757f851416ee8300c7"),
      train_labels = paste0("0ae29f65d86684f32d1b9c85147786c5",
                            "47b9c6aebcaf235f0400a0cce308b056"),
      test_images = paste0("cc1d090a38ace84dfa1aa66e3ada7c33",
                           "6ef481a96936906477e6dd344da56eaa"),
      test_labels = paste0("8d3605d196f4be44669e46906da9733c",
                           "8131fef761fdbfec72c424d5222f1a05"))
  )
  # Values python/mnist.py reads from the same files (row 0, pixels 400..409).
  first <- normalize(data$x_train[1L, , drop = FALSE])
  expect_identical(sum(round(first * 255)), 76247)
  expect_identical(round(first[1, 401:410] * 255),
                   c(0, 0, 0, 0, 237, 226, 217, 223, 222, 219))
  expect_identical(sum(as.integer(data$x_test[10000, ])), 24390L)
  expect_identical(data$t_train[1:10], c(9L, 0L, 0L, 3L, 0L, 2L, 7L, 2L, 5L,
                                         5L))
  expect_identical(sum(as.numeric(data$x_train)), 3431114169)
})

test_that("normalize scales a batch of raw pixels; one_hot codes", {
  images <- matrix(as.raw(c(0, 1, 128, 255, 7, 8, 9, 10)), nrow = 2,
                   byrow = TRUE)
  expect_identical(normalize(images[c(2L, 1L), , drop = FALSE]),
                   rbind(c(7, 8, 9, 10), c(0, 1, 128, 255)) / 255)
  expect_identical(normalize(images[2L, , drop = FALSE]),
                   matrix(c(7, 8, 9, 10) / 255, 1))
  expect_type(normalize(images), "double")
  # The book's x / 255 exactly, whole pixels divided once.
  expect_identical(normalize(matrix(as.raw(0:255), 16)),
                   matrix(0:255 / 255, 16))
})

test_that("write_idx and the readers round-trip, plain or gzip", {
  for (compress in c(FALSE, TRUE)) {
    d <- withr::local_tempdir()
    images <- make_images(7L, 3)
    write_idx(file.path(d, "img"), images, compress)
    write_idx(file.path(d, "lab"), 0:6, compress)
    got <- read_images(file.path(d, "img"))
    expect_identical(got$image_shape, c(28L, 28L))
    # Row k is image k, its pixels row by row (as Python's reshape).
    expect_identical(dim(got$images), c(7L, 784L))
    expect_identical(as.integer(got$images[2, ]), as.integer(t(images[2, , ])))
    expect_identical(got$sha256, sha256_file(file.path(d, "img")))
    expect_identical(read_labels(file.path(d, "lab"))$labels, 0:6)
  }
})

test_that("gzip is told from the content, not the file name", {
  d <- write_dataset(withr::local_tempdir(), compress = FALSE)
  file.rename(file.path(d, "train-images-idx3-ubyte"),
              file.path(d, "train-images-idx3-ubyte.gz"))
  labels <- file.path(d, "t10k-labels-idx1-ubyte")
  write_idx(labels, seq_len(5L) %% 10L, compress = TRUE)
  data <- load_dataset(d)
  expect_identical(dim(data$x_train), c(20L, 784L))
  expect_identical(data$t_test, 1:5)
})

test_that("bad input gives errors naming the file and the problem", {
  d <- write_dataset(withr::local_tempdir(), compress = FALSE)
  unlink(file.path(d, "t10k-labels-idx1-ubyte"))
  expect_error(load_dataset(d), "t10k-labels-idx1-ubyte: file not found")
  img <- file.path(d, "train-images-idx3-ubyte")
  lab <- file.path(d, "train-labels-idx1-ubyte")
  expect_error(read_images(lab),
               "labels-idx1-ubyte: bad magic number 2049 \\(expected 2051")
  bytes <- readBin(img, "raw", file.size(img))
  for (compress in c(FALSE, TRUE)) {
    short <- file.path(d, "short")
    con <- if (compress) gzfile(short, "wb") else file(short, "wb")
    writeBin(bytes[seq_len(length(bytes) - 100L)], con)
    close(con)
    expect_error(read_images(short), paste0(
      "short: truncated: header promises 20 x 28 x 28 = 15680 bytes of image ",
      "data, file has 15580"
    ))
  }
  writeBin(as.raw(c(0, 0)), file.path(d, "a"))
  expect_error(read_labels(file.path(d, "a")), "a: truncated: 2 bytes")
  writeBin(c(bytes[1:8]), file.path(d, "b"))
  expect_error(read_images(file.path(d, "b")),
               "b: truncated header: 8 bytes, need 16")
  writeBin(c(readBin(lab, "raw", 100L), as.raw(0)), file.path(d, "c"))
  expect_error(read_labels(file.path(d, "c")),
               "c: 1 unexpected bytes after the 20 bytes of label data")
  write_idx(file.path(d, "e"), c(3L, 10L))
  expect_error(read_labels(file.path(d, "e")), "e: label 10 outside 0..9")
})

test_that("huge header dimensions are refused without allocating", {
  d <- withr::local_tempdir()
  # 2^31 - 1 images of 28 x 28 would be 1.7 TB: the file's length is
  # checked first.
  con <- file(file.path(d, "img"), "wb")
  writeBin(c(2051L, .Machine$integer.max, 28L, 28L), con, size = 4L,
           endian = "big")
  writeBin(raw(9), con)
  close(con)
  expect_error(read_images(file.path(d, "img")), paste(
    "img: truncated: header promises 2147483647 x 28 x 28 = 1683627179248",
    "bytes of image data, file has 9"
  ), class = "dlfs_data_file_error")
  writeBin(as.raw(c(0, 0, 8, 1, 255, 255, 255, 255)), file.path(d, "lab"))
  expect_error(read_labels(file.path(d, "lab")),
               "lab: invalid header: dimension 4294967295 is more than 2",
               class = "dlfs_data_file_error")
})

test_that("a gzip trailer cut short or wrong is an error", {
  d <- withr::local_tempdir()
  path <- file.path(d, "lab.gz")
  write_idx(path, seq_len(30L) %% 10L, compress = TRUE)
  raw <- readBin(path, "raw", file.size(path))
  n <- length(raw)
  wrong_length <- raw
  wrong_length[n - 3L] <- xor(raw[n - 3L], as.raw(1L))
  for (bad in list(raw[seq_len(n - 4L)], raw[seq_len(n - 1L)], wrong_length)) {
    writeBin(bad, path)
    expect_error(read_labels(path), "lab.gz: corrupt or truncated gzip stream",
                 class = "dlfs_data_file_error")
  }
})

test_that("image and label counts must match", {
  d <- write_dataset(withr::local_tempdir())
  write_idx(file.path(d, "train-labels-idx1-ubyte.gz"), seq_len(19L) %% 10L,
            compress = TRUE)
  expect_error(load_dataset(d), paste0(
    "train-images-idx3-ubyte.gz: has 20 images but .*",
    "train-labels-idx1-ubyte.gz has 19 labels"
  ))
})

test_that("mirrors come from DLFS_MNIST_MIRRORS, else the defaults", {
  withr::local_envvar(DLFS_MNIST_MIRRORS = "http://a/x, http://b/y/")
  expect_identical(mirror_list(), c("http://a/x/", "http://b/y/"))
  withr::local_envvar(DLFS_MNIST_MIRRORS = "")
  expect_identical(mirror_list(), default_mirrors)
  expect_true(all(nchar(mnist_sha256) == 64L))
})

# A local server (Python's http.server; it stops by itself after 120 s):
# /403/* and /503/* fail, /good/<f> serves dir/f, /wrong/<f> other bytes.
server_script <- '
import http.server, os, sys, time
root, port_file, log_file = sys.argv[1:4]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log_file, "a") as f:
            f.write(self.path + "\\n")
        route, _, name = self.path.strip("/").partition("/")
        path = os.path.join(root, name)
        if route in ("403", "503"):
            return self.send_error(int(route))
        if route not in ("good", "wrong") or not os.path.isfile(path):
            return self.send_error(404)
        body = open(path, "rb").read()
        body = body if route == "good" else body[::-1]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
httpd = http.server.HTTPServer(("127.0.0.1", 0), H)
httpd.timeout = 0.5
with open(port_file + ".tmp", "w") as f:
    f.write("%d %d" % (httpd.server_address[1], os.getpid()))
os.replace(port_file + ".tmp", port_file)
deadline = time.time() + 120
while time.time() < deadline:
    httpd.handle_request()
'

python_bin <- function() {
  venv <- file.path(root, ".venv", "bin", "python")
  if (file.exists(venv)) venv else unname(Sys.which("python3"))
}

local_server <- function(src, env = parent.frame()) {
  python <- python_bin()
  skip_if(!nzchar(python), "no Python to run a local HTTP server")
  d <- withr::local_tempdir(.local_envir = env)
  script <- file.path(d, "server.py")
  port_file <- file.path(d, "port")
  log_file <- file.path(d, "log")
  writeLines(server_script, script)
  system2(python, c(script, src, port_file, log_file), wait = FALSE)
  for (k in 1:100) if (!file.exists(port_file)) Sys.sleep(0.1)
  info <- as.integer(strsplit(readLines(port_file, warn = FALSE), " ")[[1]])
  withr::defer(tools::pskill(info[[2]]), envir = env)
  list(base = sprintf("http://127.0.0.1:%d", info[[1]]),
       log = function() readLines(log_file, warn = FALSE))
}

test_that("downloads fall through 403, 503, refused; files are verified", {
  src <- write_dataset(withr::local_tempdir(), n_train = 12L, n_test = 4L)
  sums <- vapply(list.files(src), function(f) sha256_file(file.path(src, f)),
                 "")
  server <- local_server(src)
  dest <- file.path(withr::local_tempdir(), "dl")
  mirrors <- paste0(server$base, c("/403/", "/503/", "/good/"))
  refused <- "http://127.0.0.1:9/" # the discard port: nothing listens
  suppressMessages(download_mnist(dest, c(mirrors[1:2], refused, mirrors[3]),
                                  sums))
  expect_identical(sort(list.files(dest, all.files = TRUE, no.. = TRUE)),
                   sort(names(sums)))
  for (f in names(sums)) {
    expect_identical(sha256_file(file.path(dest, f)), sums[[f]])
  }
  first <- sort(names(sums))[[1]]
  expect_identical(grep(first, server$log(), value = TRUE, fixed = TRUE),
                   paste0(c("/403/", "/503/", "/good/"), first))
  expect_identical(dim(load_dataset(dest)$x_train), c(12L, 784L))
})

test_that("a wrong checksum is rejected; no valid mirror leaves nothing", {
  src <- write_dataset(withr::local_tempdir(), n_train = 12L, n_test = 4L)
  sums <- vapply(list.files(src), function(f) sha256_file(file.path(src, f)),
                 "")
  server <- local_server(src)
  dest <- file.path(withr::local_tempdir(), "dl")
  download_mnist(dest, paste0(server$base, c("/wrong/", "/good/")), sums,
                 log = FALSE)
  for (f in names(sums)) {
    expect_identical(sha256_file(file.path(dest, f)), sums[[f]])
  }
  expect_length(grep("^/wrong/", server$log()), length(sums))
  bad <- file.path(withr::local_tempdir(), "bad")
  expect_error(
    download_mnist(bad, paste0(server$base, c("/wrong/", "/403/")), sums,
                   log = FALSE),
    "no mirror served a valid copy:\n.*SHA-256 [0-9a-f]{64} != expected"
  )
  expect_length(list.files(bad, all.files = TRUE, no.. = TRUE), 0L)
})

test_that("a download directory that cannot be made is named", {
  taken <- file.path(withr::local_tempdir(), "taken")
  writeLines("a file, not a directory", taken)
  expect_error(download_mnist(taken, character(), c(x.gz = strrep("0", 64)),
                              log = FALSE),
               "taken: cannot create the download directory",
               class = "dlfs_data_file_error")
})
