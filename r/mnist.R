# MNIST-format (IDX) data, read strictly (downloads: r/suite/download.R).
# Mirrors python/mnist.py. Images stay raw bytes, one per row of an
# n x (rows * cols) raw matrix (47 MB for 60,000 images, not 376 MB of
# doubles); normalize() scales one batch or evaluation chunk at a time.

idx_magic <- c(images = 2051L, labels = 2049L) # ubyte, 3 dims / 1 dim
gzip_magic <- as.raw(c(0x1f, 0x8b))
idx_stems <- c(train_images = "train-images-idx3-ubyte",
               train_labels = "train-labels-idx1-ubyte",
               test_images = "t10k-images-idx3-ubyte",
               test_labels = "t10k-labels-idx1-ubyte")
# An error whose message starts with the file it is about.
idx_error <- function(path, ...) {
  dlfs_abort("data_file_error", paste0(path, ": ", sprintf(...)))
}

#' SHA-256 of a file's bytes
#'
#' @param path File path.
#' @return Lower-case hex digest.
sha256_file <- function(path) {
  digest::digest(file = path, algo = "sha256", serialize = FALSE)
}

#' The content of a file (gunzipped if it starts with the gzip magic)
#'
#' Read in pieces of 1 MB, as many as the file or stream holds, whatever an
#' IDX header or gzip trailer claims; kept in pieces because R cannot drop
#' the header from one 47 MB raw vector without a 188 MB index.
#' gzfile() only warns about a corrupt stream and reads a truncated one
#' silently, so warnings are errors and the length the gzip trailer records
#' is checked against what was read.
#'
#' @param path File path.
#' @return list(pieces = list of raw vectors, sha256 = the file's SHA-256).
read_content <- function(path) {
  if (!file.exists(path) || dir.exists(path)) idx_error(path, "file not found")
  failed <- function(e) idx_error(path, "cannot read (%s)", conditionMessage(e))
  gz <- tryCatch(identical(readBin(path, "raw", 2L), gzip_magic),
                 error = failed, warning = failed)
  con <- if (gz) gzfile(path, "rb") else file(path, "rb")
  on.exit(close(con))
  stream_error <- function(e) {
    idx_error(path, "corrupt or truncated gzip stream (%s)",
              conditionMessage(e))
  }
  pieces <- list()
  repeat {
    piece <- tryCatch(readBin(con, "raw", 2^20), error = stream_error,
                      warning = stream_error)
    pieces[[length(pieces) + 1L]] <- piece
    if (length(piece) < 2^20) break
  }
  size <- sum(lengths(pieces))
  trailer <- if (gz) gzip_trailer(path) else size
  if (!identical(size %% 2^32, trailer %% 2^32)) {
    idx_error(path, paste("corrupt or truncated gzip stream (it holds %.0f",
                          "bytes, its trailer records %s)"), size,
              if (is.na(trailer)) "nothing: too short" else format(trailer))
  }
  list(pieces = pieces, sha256 = sha256_file(path))
}

# The uncompressed length (mod 2^32) a gzip file's trailer records, or NA.
gzip_trailer <- function(path) {
  size <- file.size(path)
  if (size < 18) return(NA_real_)
  con <- file(path, "rb")
  on.exit(close(con))
  seek(con, size - 4)
  sum(as.numeric(readBin(con, "raw", 4L)) * 256^(0:3))
}

#' Check magic, header and payload length of an IDX ubyte file's content
#'
#' The header's promise is checked against the content's length before any
#' array is made.
#'
#' @param pieces The file's content, from read_content().
#' @param path File path, for messages.
#' @param magic idx_magic[["images"]] or idx_magic[["labels"]].
#' @return list(dims = integer, payload = raw).
parse_idx <- function(pieces, path, magic) {
  kind <- if (magic == idx_magic[["images"]]) "image" else "label"
  ndim <- magic %% 256L
  size <- sum(lengths(pieces))
  data <- pieces[[1L]] # the header, or all of a file too short for one
  if (size < 4L) {
    idx_error(path, "truncated: %d bytes, too short for an IDX magic number",
              size)
  }
  found <- sum(as.numeric(data[1:4]) * 256^(3:0))
  if (found != magic) {
    idx_error(path, "bad magic number %.0f (expected %d for an IDX %s file)",
              found, magic, kind)
  }
  header <- 4L + 4L * ndim
  if (size < header) {
    idx_error(path, "truncated header: %d bytes, need %d", size, header)
  }
  dims <- colSums(matrix(as.numeric(data[5:header]), 4L) * 256^(3:0))
  if (any(dims > .Machine$integer.max)) {
    idx_error(path, "invalid header: dimension %.0f is more than 2^31 - 1",
              dims[dims > .Machine$integer.max][1L])
  }
  need <- prod(dims)
  have <- size - header
  if (have < need) {
    idx_error(path, "truncated: header promises %s = %.0f bytes of %s data, %s",
              paste(dims, collapse = " x "), need, kind,
              sprintf("file has %.0f", have))
  }
  if (have > need) {
    idx_error(path, "%.0f unexpected bytes after the %.0f bytes of %s data",
              have - need, need, kind)
  }
  pieces[[1L]] <- data[-seq_len(header)]
  list(dims = as.integer(dims), payload = unlist(pieces))
}

#' Images of an IDX3 file as a raw matrix, one image per row (as Python)
#'
#' @param path File path.
#' @return list(images = raw n x (rows * cols) matrix, image_shape, sha256).
read_images <- function(path) {
  content <- read_content(path)
  idx <- parse_idx(content$pieces, path, idx_magic[["images"]])
  if (prod(idx$dims[2:3]) > .Machine$integer.max) {
    idx_error(path, "images of %d x %d pixels: more than 2^31 - 1 per image",
              idx$dims[2L], idx$dims[3L])
  }
  # IDX is row-major: R reads each image into a column, then transposes.
  images <- matrix(idx$payload, idx$dims[2L] * idx$dims[3L], idx$dims[1L])
  list(images = t(images), image_shape = idx$dims[2:3], sha256 = content$sha256)
}

#' Labels of an IDX1 file as 0-based integer codes, checked to lie in 0..9
#'
#' @param path File path.
#' @return list(labels = integer vector, sha256).
read_labels <- function(path) {
  content <- read_content(path)
  idx <- parse_idx(content$pieces, path, idx_magic[["labels"]])
  labels <- as.integer(idx$payload)
  if (length(labels) > 0L && max(labels) > 9L) {
    idx_error(path, "label %d outside 0..9", max(labels))
  }
  list(labels = labels, sha256 = content$sha256)
}

# stem.gz or stem in data_dir (gzip is told from the content, not the name).
find_file <- function(data_dir, stem) {
  found <- file.path(data_dir, paste0(stem, c(".gz", "")))
  found <- found[file.exists(found) & !dir.exists(found)]
  if (!length(found)) {
    idx_error(file.path(data_dir, stem), "file not found (nor with .gz)")
  }
  found[[1L]]
}

#' Read and cross-check the four IDX files (.gz or not) of a directory
#'
#' @param data_dir Directory.
#' @return list(x_train, t_train, x_test, t_test, image_shape, files); x_*
#'   raw matrices with one image per row, t_* 0-based integer codes.
load_dataset <- function(data_dir) {
  paths <- vapply(idx_stems, find_file, "", data_dir = data_dir)
  train <- read_images(paths[["train_images"]])
  t_train <- read_labels(paths[["train_labels"]])
  test <- read_images(paths[["test_images"]])
  t_test <- read_labels(paths[["test_labels"]])
  for (set in list(list(train, t_train, "train"), list(test, t_test, "test"))) {
    if (nrow(set[[1L]]$images) != length(set[[2L]]$labels)) {
      idx_error(paths[[paste0(set[[3L]], "_images")]],
                "has %d images but %s has %d labels", nrow(set[[1L]]$images),
                paths[[paste0(set[[3L]], "_labels")]], length(set[[2L]]$labels))
    }
  }
  if (!identical(test$image_shape, train$image_shape)) {
    idx_error(paths[["test_images"]], "images are %s, training images are %s",
              toString(test$image_shape), toString(train$image_shape))
  }
  shas <- list(train$sha256, t_train$sha256, test$sha256, t_test$sha256)
  files <- Map(function(path, sha) {
    list(path = normalizePath(path), sha256 = sha)
  }, paths, shas)
  list(x_train = train$images, t_train = t_train$labels,
       x_test = test$images, t_test = t_test$labels,
       image_shape = train$image_shape, files = files)
}

#' Pixels scaled to [0, 1] as doubles (the book's normalize = TRUE)
#'
#' @param x Raw (or integer) matrix of pixels; use per batch or chunk.
#' @return Double matrix of the same shape, x / 255.
normalize <- function(x) {
  y <- as.integer(x) / 255
  dim(y) <- dim(x)
  y
}

#' The directory of a dataset ("fashion-mnist" or "mnist") by default
#'
#' @param dataset "fashion-mnist" or "mnist".
default_data_dir <- function(dataset) {
  if (dataset == "fashion-mnist") return("/usr/share/datasets/fashion-mnist")
  cache <- Sys.getenv("XDG_CACHE_HOME")
  if (!nzchar(cache)) cache <- file.path(path.expand("~"), ".cache")
  file.path(cache, "dlfs", "mnist")
}
