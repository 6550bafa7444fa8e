# Fuzz test of the IDX reader: seeded truncations, byte flips, insertions
# and header edits of real files (helper-fuzz.R).
# Mirrors the Python test of the same name.

root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

idx_mutations <- 3000L
real_labels <- "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"

set_header_field <- function(content) {
  ndim <- as.integer(content[4L])
  field <- sample.int(ndim + 1L, 1L) - 1L
  at <- 4L * field + 1:4
  old <- sum(as.numeric(content[at]) * 256^(3:0))
  values <- c(0, 1, 2^24, 2^31 - 1, 2^31, 2^32 - 1, old + 1, max(old - 1, 0),
              floor(stats::runif(1L) * 2^32))
  value <- values[sample.int(length(values), 1L)]
  content[at] <- as.raw((value %/% 256^(3:0)) %% 256)
  content
}

gzip_bytes <- function(content) {
  path <- tempfile()
  on.exit(unlink(path))
  con <- gzfile(path, "wb")
  writeBin(content, con)
  close(con)
  readBin(path, "raw", file.size(path))
}

gunzip_file <- function(path) {
  con <- gzfile(path, "rb")
  on.exit(close(con))
  readBin(con, "raw", 1e7)
}

# list(name, kind, raw file bytes, content): small images and labels
# written by write_idx, plain and gzip, and the real Fashion-MNIST labels.
idx_sources <- function(dir) {
  images <- array(sample.int(256L, 120L, TRUE) - 1L, c(4L, 6L, 5L))
  labels <- sample.int(10L, 30L, TRUE) - 1L
  out <- list()
  for (item in list(list("images", images), list("labels", labels))) {
    plain <- file.path(dir, item[[1]])
    write_idx(plain, item[[2]])
    content <- readBin(plain, "raw", file.size(plain))
    out <- c(out, list(list(item[[1]], item[[1]], content, content)))
    gz <- file.path(dir, paste0(item[[1]], ".gz"))
    write_idx(gz, item[[2]], compress = TRUE)
    out <- c(out, list(list(basename(gz), item[[1]],
                            readBin(gz, "raw", file.size(gz)), content)))
  }
  if (file.exists(real_labels)) {
    raw <- readBin(real_labels, "raw", file.size(real_labels))
    out <- c(out, list(list(basename(real_labels), "labels", raw,
                            gunzip_file(real_labels))))
  }
  out
}

# Why a result does not match the mutated file ("" if it does).
check_idx_result <- function(kind, path, value) {
  raw <- readBin(path, "raw", file.size(path))
  gz <- length(raw) >= 2L && identical(raw[1:2], as.raw(c(0x1f, 0x8b)))
  content <- if (gz) gunzip_file(path) else raw
  ndim <- as.integer(content[4L])
  dims <- colSums(matrix(as.numeric(content[4L + seq_len(4L * ndim)]), 4L) *
                    256^(3:0))
  payload <- content[-seq_len(4L + 4L * ndim)]
  ok <- if (kind == "images") {
    identical(dim(value$images), as.integer(c(dims[1], dims[2] * dims[3]))) &&
      identical(value$image_shape, as.integer(dims[2:3])) &&
      identical(as.vector(t(value$images)), payload)
  } else {
    identical(value$labels, as.integer(payload)) &&
      all(value$labels >= 0L & value$labels <= 9L)
  }
  if (ok && identical(value$sha256, sha256_file(path))) return("")
  paste("result inconsistent with the file, header", toString(dims))
}

test_that("IDX reader: each mutation a consistent result or a clear error", {
  withr::local_seed(fuzz_seed)
  dir <- withr::local_tempdir()
  sources <- idx_sources(dir)
  readers <- list(images = read_images, labels = read_labels)
  ops <- c("truncate", "flip", "insert", "append", "header", "gzip_content")
  tally <- new_tally()
  path <- file.path(dir, "mutant")
  for (k in seq_len(idx_mutations)) {
    source <- sources[[sample.int(length(sources), 1L)]]
    raw <- source[[3]]
    gz <- !identical(raw, source[[4]])
    op <- ops[sample.int(if (gz) 6L else 5L, 1L)]
    mutant <- if (op %in% c("header", "gzip_content")) {
      content <- if (op == "header") {
        set_header_field(source[[4]])
      } else {
        mutate_bytes(source[[4]], ops[sample.int(4L, 1L)])
      }
      if (gz) gzip_bytes(content) else content
    } else {
      mutate_bytes(raw, op)
    }
    writeBin(mutant, path)
    got <- outcome_of(function() readers[[source[[2]]]](path),
                      "dlfs_data_file_error", path)
    if (got[[1]] == "result") {
      why <- check_idx_result(source[[2]], path, got[[2]])
      if (nzchar(why)) got <- list("other_failure", why)
    }
    tally_add(tally, op, got[[1]], paste0(source[[1]], ": ", got[[2]]))
  }
  tally_write(tally, "idx",
              list(sources = vapply(sources, `[[`, "", 1L)), root)
  expect_identical(utils::head(tally$failures, 5L), character())
  expect_gt(tally_total(tally, "clear_error"), idx_mutations / 2)
  expect_gt(tally_total(tally, "result"), 0L)
})
