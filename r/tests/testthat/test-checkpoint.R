# Checkpoint format: bit-exact round trips, corruption detection, atomic
# writes, R <-> Python. Mirrors tests/test_checkpoint.py.

root <- normalizePath(testthat::test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

special <- c(0, -0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308,
             Inf, -Inf, NaN, 1 / 3, -1e-300)

bits <- function(x) writeBin(as.vector(x), raw(), size = 8L, endian = "little")

same_bits <- function(p, q) {
  identical(names(p), names(q)) &&
    all(vapply(names(p), function(k) {
      identical(dim(p[[k]]), dim(q[[k]])) &&
        identical(bits(p[[k]]), bits(q[[k]]))
    }, TRUE))
}

test_that("round trip is bit-exact, special values included", {
  path <- file.path(withr::local_tempdir(), "c.bin")
  params <- list(W1 = matrix(normal(rng(1), 12), 3, byrow = TRUE),
                 b1 = special, W2 = matrix(special, 5, byrow = TRUE),
                 b2 = numeric(0))
  write_checkpoint(path, params)
  back <- load_checkpoint(path)
  expect_true(same_bits(params, back))
  expect_identical(encode_checkpoint(back), readBin(path, "raw", 1e6))
})

test_that("the layout is as documented: header line, row-major float64", {
  data <- encode_checkpoint(list(W = rbind(c(1, 2, 3), c(4, 5, 6)), b = 0.5))
  nl <- which(data == as.raw(10L))[1:2]
  expect_identical(rawToChar(data[1:(nl[1] - 1L)]), "DLFS-CHECKPOINT 1")
  header <- jsonlite::fromJSON(rawToChar(data[(nl[1] + 1L):(nl[2] - 1L)]),
                               simplifyVector = FALSE)
  expect_identical(header$arrays[[1]]$shape, list(2L, 3L))
  expect_identical(header$arrays[[2]]$offset, 48L)
  body <- data[-seq_len(nl[2])]
  expect_length(body, 56L)
  expect_identical(readBin(body, "double", 7L, size = 8L, endian = "little"),
                   c(1, 2, 3, 4, 5, 6, 0.5))
})

test_that("damaged checkpoints are rejected with the reason", {
  data <- encode_checkpoint(list(W1 = diag(3), b1 = rep(1, 3)))
  n <- length(data)
  flipped <- data
  flipped[n] <- xor(flipped[n], as.raw(1))
  v2 <- charToRaw(sub('"version":1', '"version":2', rawToChar(data[1:150])))
  cases <- list(
    "not a DLFS checkpoint" = c(charToRaw("X"), data[-1]),
    "truncated: header lists" = data[seq_len(n - 8L)],
    "trailing bytes" = c(data, as.raw(0)),
    "fails its SHA-256 check" = flipped,
    "truncated header" = data[1:23],
    "unsupported header" = c(v2, data[-(1:150)])
  )
  path <- file.path(withr::local_tempdir(), "c.bin")
  for (message in names(cases)) {
    writeBin(cases[[message]], path)
    expect_error(load_checkpoint(path), message, fixed = TRUE)
  }
  expect_error(load_checkpoint(file.path(dirname(path), "missing.bin")),
               "file not found")
})

test_that("a failed write keeps the old file and leaves no temporary file", {
  d <- withr::local_tempdir()
  path <- file.path(d, "f.txt")
  write_atomic(path, "old\n")
  expect_error(with_atomic_path(path, function(tmp) {
    writeLines("half", tmp)
    stop("interrupted")
  }), "interrupted")
  expect_identical(readLines(path), "old")
  expect_identical(list.files(d, all.files = TRUE, no.. = TRUE), "f.txt")
  expect_error(write_checkpoint(path, list(W = 1:3)), "must be a double")
  expect_identical(readLines(path), "old")
})

py_cross <- '
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import numpy as np
from python.suite.checkpoint import load_checkpoint, save_checkpoint
from python.two_layer_net import TwoLayerNet
d = Path(sys.argv[2])
net = TwoLayerNet(784, 50, 10, seed=4)
net.params = load_checkpoint(d / "r.bin")
save_checkpoint(d / "r_resaved_by_py.bin", net.params)
x = load_checkpoint(d / "x.bin")["x"]
save_checkpoint(d / "py_pred.bin", {"y": net.predict(x)})
save_checkpoint(d / "py.bin", TwoLayerNet(784, 50, 10, seed=5).params)
'

test_that("R and Python read each other's checkpoints bit-exactly", {
  python <- file.path(root, ".venv", "bin", "python")
  skip_if_not(file.exists(python), "no project venv Python")
  d <- withr::local_tempdir()
  net <- TwoLayerNet(784, 50, 10, seed = 3)
  write_checkpoint(file.path(d, "r.bin"), net$params)
  x <- matrix(uniform(rng(11), 20 * 784), 20, byrow = TRUE)
  write_checkpoint(file.path(d, "x.bin"), list(x = x))
  script <- file.path(d, "cross.py")
  writeLines(py_cross, script)
  status <- system2(python, c(script, root, d), stdout = FALSE)
  expect_identical(status, 0L)
  read_raw <- function(f) readBin(file.path(d, f), "raw", 1e6)
  # R -> Python -> R: Python read the exact bits (it writes them back).
  expect_identical(read_raw("r_resaved_by_py.bin"), read_raw("r.bin"))
  # Same weights, same predictions: same classes; probabilities equal up
  # to the two BLAS libraries' summation order (measured 3e-16 relative).
  y_py <- load_checkpoint(file.path(d, "py_pred.bin"))$y
  y_r <- predict(net, x)
  expect_identical(max.col(y_py, "first"), max.col(y_r, "first"))
  expect_lt(max(abs(y_py - y_r) / y_r), 1e-14)
  # Python -> R: Python's TwoLayerNet(seed=5) is R's, bit for bit.
  from_py <- load_checkpoint(file.path(d, "py.bin"))
  expect_true(same_bits(from_py, TwoLayerNet(784, 50, 10, seed = 5)$params))
  expect_identical(encode_checkpoint(from_py), read_raw("py.bin"))
})
