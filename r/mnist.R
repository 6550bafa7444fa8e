# MNIST-format (IDX) data, read strictly (downloads: r/suite/download.R).
# Mirrors python/mnist.py. Images stay raw bytes, one per row of an
# n x (rows * cols) raw matrix (47 MB for 60,000 images, not 376 MB of
# doubles); normalize() scales one batch or evaluation chunk at a time.

idx_magic <- c(images = 2051L, labels = 2049L) # ubyte, 3 dims / 1 dim
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

#' Read and check an IDX ubyte file (plain or gzip, told by its magic bytes)
#'
#' Never allocates more than the file holds: the header's promise is
#' checked against the file's length (plain) or the gzip trailer's record
#' first. gzfile() only warns about a corrupt stream and reads a truncated
#' one silently, so warnings are errors and the trailer's length is checked
#' against what was read. (gzfile() checks the CRC-32 but not the length
#' after it: junk between the two passes, where Python refuses the file.)
#'
#' @param path File path.
#' @param magic idx_magic[["images"]] or idx_magic[["labels"]].
#' @return list(dims = integer, payload = raw, sha256 = character).
read_idx <- function(path, magic) {
  if (!file.exists(path) || dir.exists(path)) idx_error(path, "file not found")
  kind <- if (magic == idx_magic[["images"]]) "image" else "label"
  size <- file.size(path)
  failed <- function(e) idx_error(path, "cannot read (%s)", conditionMessage(e))
  gz <- tryCatch(identical(readBin(path, "raw", 2L), as.raw(c(0x1f, 0x8b))),
                 error = failed, warning = failed)
  con <- if (gz) gzfile(path, "rb") else file(path, "rb")
  on.exit(close(con))
  read <- function(n) {
    stream_error <- function(e) {
      idx_error(path, "corrupt or truncated gzip stream (%s)",
                conditionMessage(e))
    }
    tryCatch(readBin(con, "raw", n), error = stream_error,
             warning = stream_error)
  }
  first <- read(4L)
  if (length(first) < 4L) {
    idx_error(path, "truncated: %d bytes, too short for an IDX magic number",
              length(first))
  }
  found <- sum(as.numeric(first) * 256^(3:0))
  if (found != magic) {
    idx_error(path, "bad magic number %.0f (expected %d for an IDX %s file)",
              found, magic, kind)
  }
  ndim <- magic %% 256L
  header <- 4 + 4 * ndim
  dims <- idx_dims(read(4L * ndim), ndim, path)
  need <- prod(dims)
  have <- if (gz) gzip_data_size(path, size, header, need, read) else
    size - header
  if (have < need) {
    idx_error(path, "truncated: header promises %s = %.0f bytes of %s data, %s",
              paste(dims, collapse = " x "), need, kind,
              sprintf("file has %.0f", have))
  }
  if (have > need) {
    idx_error(path, "%.0f unexpected bytes after the %.0f bytes of %s data",
              have - need, need, kind)
  }
  payload <- read(need)
  extra <- if (gz) count_rest(read) else 0
  if (length(payload) < need || extra > 0) {
    idx_error(path, paste("corrupt or truncated gzip stream (it holds %.0f",
                          "bytes, the header and its trailer say %.0f)"),
              header + length(payload) + extra, header + need)
  }
  list(dims = as.integer(dims), payload = payload, sha256 = sha256_file(path))
}

# The number of data bytes after the header of a gzip IDX file: the
# trailer's record (mod 2^32) when it agrees with the header's need; else
# the stream (read(n) after the header) is read to its end to tell a wrong
# header (the caller reports it) from a corrupt or truncated stream.
gzip_data_size <- function(path, size, header, need, read) {
  trailer <- NA_real_
  if (size >= 18) {
    con <- file(path, "rb")
    seek(con, size - 4)
    trailer <- sum(as.numeric(readBin(con, "raw", 4L)) * 256^(0:3))
    close(con)
  }
  if (identical(need, (trailer - header) %% 2^32)) return(need)
  have <- count_rest(read)
  if (!identical((header + have) %% 2^32, trailer)) {
    idx_error(path, paste("corrupt or truncated gzip stream (it holds %.0f",
                          "bytes, its trailer records %s)"),
              header + have,
              if (is.na(trailer)) "nothing: too short" else format(trailer))
  }
  have
}

# The extents of an IDX header (unsigned, as exact doubles), each checked
# to be at most 2^31 - 1 (R's limit).
idx_dims <- function(bytes, ndim, path) {
  if (length(bytes) < 4L * ndim) {
    idx_error(path, "truncated header: %d bytes, need %d",
              4L + length(bytes), 4L + 4L * ndim)
  }
  dims <- colSums(matrix(as.numeric(bytes), 4L) * 256^(3:0))
  if (any(dims > .Machine$integer.max)) {
    idx_error(path, "invalid header: dimension %.0f is more than 2^31 - 1",
              dims[dims > .Machine$integer.max][1L])
  }
  dims
}

# Read a stream to its end in pieces of 1 MB; the number of bytes read.
count_rest <- function(read) {
  total <- 0
  repeat {
    got <- length(read(2^20))
    total <- total + got
    if (got < 2^20) return(total)
  }
}

#' Images of an IDX3 file as a raw matrix, one image per row (as Python)
#'
#' @param path File path.
#' @return list(images = raw n x (rows * cols) matrix, image_shape, sha256).
read_images <- function(path) {
  idx <- read_idx(path, idx_magic[["images"]])
  if (prod(idx$dims[2:3]) > .Machine$integer.max) {
    idx_error(path, "images of %d x %d pixels: more than 2^31 - 1 per image",
              idx$dims[2L], idx$dims[3L])
  }
  # IDX is row-major: R reads each image into a column, then transposes.
  images <- idx$payload
  dim(images) <- c(idx$dims[2L] * idx$dims[3L], idx$dims[1L])
  list(images = t(images), image_shape = idx$dims[2:3], sha256 = idx$sha256)
}

#' Labels of an IDX1 file as 0-based integer codes, checked to lie in 0..9
#'
#' @param path File path.
#' @return list(labels = integer vector, sha256).
read_labels <- function(path) {
  idx <- read_idx(path, idx_magic[["labels"]])
  labels <- as.integer(idx$payload)
  if (length(labels) > 0L && max(labels) > 9L) {
    idx_error(path, "label %d outside 0..9", max(labels))
  }
  list(labels = labels, sha256 = idx$sha256)
}

#' Read and cross-check the four IDX files (.gz or not) of a directory
#'
#' @param data_dir Directory.
#' @return list(x_train, t_train, x_test, t_test, image_shape, files); x_*
#'   raw matrices with one image per row, t_* 0-based integer codes.
load_dataset <- function(data_dir) {
  paths <- vapply(idx_stems, function(stem) {
    found <- file.path(data_dir, paste0(stem, c(".gz", "")))
    found <- found[file.exists(found) & !dir.exists(found)]
    if (!length(found)) {
      idx_error(file.path(data_dir, stem), "file not found (nor with .gz)")
    }
    found[[1L]]
  }, "")
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

#' Write labels (a vector) or images (an n x rows x cols array) as IDX
#'
#' @param path File to write.
#' @param x Integer labels, or array c(n, rows, cols) of images; 0..255.
#' @param compress Gzip the file.
#' @return path, invisibly.
write_idx <- function(path, x, compress = FALSE) {
  dims <- if (is.null(dim(x))) length(x) else dim(x)
  magic <- idx_magic[[if (length(dims) == 1L) "labels" else "images"]]
  # IDX is row-major: R's column-major order with the dimensions reversed.
  values <- if (length(dims) == 1L) x else aperm(x, rev(seq_along(dims)))
  con <- if (compress) gzfile(path, "wb") else file(path, "wb")
  on.exit(close(con))
  writeBin(as.integer(c(magic, dims)), con, size = 4L, endian = "big")
  writeBin(as.raw(values), con)
  invisible(path)
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

#' One-hot rows (a double matrix) for 0-based label codes
#'
#' @param labels Integer codes 0..n_classes-1.
#' @param n_classes Number of classes.
one_hot <- function(labels, n_classes = 10L) {
  out <- matrix(0, length(labels), n_classes)
  out[cbind(seq_along(labels), labels + 1L)] <- 1
  out
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
