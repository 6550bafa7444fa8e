# MNIST-format (IDX) data: strict reading, per-batch scaling, and
# checksummed MNIST downloads. Mirrors python/mnist.py.
#
# Images stay raw bytes, one image per column of a (rows * cols) x n raw
# matrix (the IDX file's own byte order, so no transpose is needed); they
# become doubles / 255 per batch or evaluation chunk (image_batch,
# image_columns), or once for the whole training (scale_images).

#' IDX magic numbers: ubyte with 3 dims (images) or 1 dim (labels)
#'
#' @return Named integer vector.
idx_magic <- function() c(images = 2051L, labels = 2049L)

#' Stems of the four files of an MNIST-format directory
#'
#' @return Named character vector (train_images, ..., test_labels).
idx_stems <- function() {
  c(train_images = "train-images-idx3-ubyte",
    train_labels = "train-labels-idx1-ubyte",
    test_images = "t10k-images-idx3-ubyte",
    test_labels = "t10k-labels-idx1-ubyte")
}

#' SHA-256 of the canonical MNIST .gz files
#'
#' The values tensorflow-datasets and many torchvision-based loaders publish
#' (torchvision itself lists MD5s of the same files).
#'
#' @return Named character vector, file name -> hex digest.
mnist_sha256 <- function() {
  c("train-images-idx3-ubyte.gz" =
      "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz" =
      "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz" =
      "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz" =
      "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")
}

#' Default MNIST mirrors, tried in order
#'
#' @return Character vector of base URLs ending in "/".
default_mirrors <- function() {
  c("https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/")
}

# An error whose message starts with the file it is about.
idx_error <- function(path, ...) {
  dlfs_abort("data_file_error", paste0(path, ": ", sprintf(...)))
}

#' SHA-256 of a file's bytes
#'
#' @param path File path.
#' @param checksum FALSE skips the work and answers NA.
#' @return Lower-case hex digest.
sha256_file <- function(path, checksum = TRUE) {
  if (!checksum) return(NA_character_)
  digest::digest(file = path, algo = "sha256", serialize = FALSE)
}

#' Open an IDX file, plain or gzip (told by its magic bytes)
#'
#' @param path File path.
#' @return list(con = an open connection, gz = TRUE for gzip,
#'   size = the file's length in bytes).
open_idx <- function(path) {
  if (!file.exists(path) || dir.exists(path)) idx_error(path, "file not found")
  failed <- function(e) {
    idx_error(path, "cannot read (%s)", conditionMessage(e))
  }
  tryCatch({
    head <- readBin(path, "raw", 2L)
    gz <- identical(head, as.raw(c(0x1f, 0x8b)))
    con <- if (gz) gzfile(path, "rb") else file(path, "rb")
  }, error = failed, warning = failed)
  list(con = con, gz = gz, size = file.size(path))
}

#' The content length a gzip file's trailer records (modulo 2^32)
#'
#' @param path File path.
#' @param size The file's length in bytes.
#' @return A double, or NA when the file cannot hold a gzip header and
#'   trailer.
gzip_trailer_size <- function(path, size) {
  if (size < 18) return(NA_real_)
  con <- file(path, "rb")
  on.exit(close(con))
  seek(con, size - 4)
  sum(as.numeric(readBin(con, "raw", 4L)) * 256^(0:3))
}

#' Read and check an IDX ubyte file (plain or gzip, told by its magic bytes)
#'
#' Never allocates more than the file holds: the header's promise is
#' checked against the file's length (plain) or the length the gzip
#' trailer records before the data are read. gzfile() only warns about a
#' corrupt stream and reads a truncated one without a word, so warnings are
#' errors here and the trailer's length is checked against what was read.
#' (gzfile() checks the CRC-32 but not the length field after it, so junk
#' inserted between the two goes unnoticed: the data are still verified,
#' where Python refuses the file.)
#'
#' @param path File path.
#' @param magic 2051 (images) or 2049 (labels).
#' @param checksum Compute the file's SHA-256 (else sha256 is NA).
#' @return list(dims = integer, payload = raw, sha256 = character).
read_idx <- function(path, magic, checksum = TRUE) {
  kind <- if (magic == idx_magic()[["images"]]) "image" else "label"
  file <- open_idx(path)
  on.exit(close(file$con))
  read <- function(n) {
    stream_error <- function(e) {
      idx_error(path, "corrupt or truncated gzip stream (%s)",
                conditionMessage(e))
    }
    tryCatch(readBin(file$con, "raw", n), error = stream_error,
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
  promised <- sprintf("%s = %.0f bytes of %s data",
                      paste(dims, collapse = " x "), need, kind)
  have <- if (file$gz) {
    gzip_data_size(path, file$size, header, need, read)
  } else {
    file$size - header
  }
  if (have < need) {
    idx_error(path, "truncated: header promises %s, file has %.0f", promised,
              have)
  }
  if (have > need) {
    idx_error(path, "%.0f unexpected bytes after the %.0f bytes of %s data",
              have - need, need, kind)
  }
  payload <- read(need)
  extra <- if (file$gz) count_rest(read) else 0
  if (length(payload) < need || extra > 0) {
    idx_error(path, paste("corrupt or truncated gzip stream (it holds %.0f",
                          "bytes, the header and its trailer say %.0f)"),
              header + length(payload) + extra, header + need)
  }
  list(dims = as.integer(dims), payload = payload,
       sha256 = sha256_file(path, checksum))
}

#' The number of data bytes after the header of a gzip IDX file
#'
#' The trailer's record when it agrees with the header (the data are then
#' read at once); else the stream is read to its end to tell a wrong header
#' (the caller reports it) from a corrupt or truncated stream (an error).
#'
#' @param path File path.
#' @param size The file's length in bytes.
#' @param header Length of the IDX header.
#' @param need Data bytes the header promises.
#' @param read A function of n reading up to n bytes of the stream, which is
#'   positioned after the header.
#' @return A double.
gzip_data_size <- function(path, size, header, need, read) {
  trailer <- gzip_trailer_size(path, size)
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

#' The dimensions of an IDX header, checked
#'
#' @param bytes The 4 * ndim bytes after the magic number.
#' @param ndim Number of dimensions.
#' @param path File path, for messages.
#' @return Double vector of extents, each at most 2^31 - 1 (R's limit).
idx_dims <- function(bytes, ndim, path) {
  if (length(bytes) < 4L * ndim) {
    idx_error(path, "truncated header: %d bytes, need %d",
              4L + length(bytes), 4L + 4L * ndim)
  }
  # Unsigned, as doubles: exact, and no NA for the top bit.
  dims <- colSums(matrix(as.numeric(bytes), 4L) * 256^(3:0))
  if (any(dims > .Machine$integer.max)) {
    idx_error(path, "invalid header: dimension %.0f is more than 2^31 - 1",
              dims[dims > .Machine$integer.max][1L])
  }
  dims
}

#' Read a connection to its end in pieces, counting the bytes
#'
#' @param read A function of n reading up to n bytes.
#' @return The number of bytes read.
count_rest <- function(read) {
  total <- 0
  repeat {
    got <- length(read(2^20))
    total <- total + got
    if (got < 2^20) return(total)
  }
}

#' Images of an IDX3 file as a raw matrix, one image per column
#'
#' @inheritParams read_idx
#' @return list(images = raw (rows * cols) x n matrix, image_shape, sha256).
read_images <- function(path, checksum = TRUE) {
  idx <- read_idx(path, idx_magic()[["images"]], checksum)
  if (prod(idx$dims[2:3]) > .Machine$integer.max) {
    idx_error(path, "images of %d x %d pixels: more than 2^31 - 1 per image",
              idx$dims[2L], idx$dims[3L])
  }
  images <- idx$payload
  dim(images) <- c(idx$dims[2L] * idx$dims[3L], idx$dims[1L])
  list(images = images, image_shape = idx$dims[2:3], sha256 = idx$sha256)
}

#' Labels of an IDX1 file as 0-based integer codes, checked to lie in 0..9
#'
#' @inheritParams read_idx
#' @return list(labels = integer vector, sha256).
read_labels <- function(path, checksum = TRUE) {
  idx <- read_idx(path, idx_magic()[["labels"]], checksum)
  labels <- as.integer(idx$payload)
  if (length(labels) > 0L && max(labels) > 9L) {
    idx_error(path, "label %d outside 0..9", max(labels))
  }
  list(labels = labels, sha256 = idx$sha256)
}

#' stem.gz or stem in data_dir (gzip is told from the content, not the name)
#'
#' @param data_dir Directory.
#' @param stem File name without ".gz".
#' @return The path found.
find_idx_file <- function(data_dir, stem) {
  for (name in paste0(stem, c(".gz", ""))) {
    path <- file.path(data_dir, name)
    if (file.exists(path) && !dir.exists(path)) return(path)
  }
  idx_error(file.path(data_dir, stem), "file not found (nor with .gz)")
}

#' The value of expr, computed in a forked process where R can fork
#'
#' @param expr An expression, evaluated in the child (or at once where R
#'   cannot fork).
#' @return A function that waits for the value and returns it (call it
#'   once); with discard = TRUE it stops the process instead, for a caller
#'   that failed before it needed the value.
in_background <- function(expr) {
  if (.Platform$OS.type != "unix") {
    force(expr)
    return(function(discard = FALSE) expr)
  }
  job <- parallel::mcparallel(expr, silent = TRUE)
  function(discard = FALSE) {
    if (discard) { # the caller failed: stop and reap the process, no value
      tools::pskill(job$pid, tools::SIGKILL)
      parallel::mccollect(job, wait = TRUE)
      return(invisible(NULL))
    }
    value <- parallel::mccollect(job)[[1L]]
    if (inherits(value, "try-error")) stop(attr(value, "condition"))
    value
  }
}

#' Read and cross-check the four IDX files of a directory
#'
#' @param data_dir Directory holding the four files, .gz or not.
#' @return list(x_train, t_train, x_test, t_test, image_shape, files); x_*
#'   are raw matrices with one image per column, t_* 0-based integer codes.
load_dataset <- function(data_dir) {
  stems <- idx_stems()
  paths <- vapply(stems, function(stem) find_idx_file(data_dir, stem), "")
  # digest's SHA-256 takes as long as reading the files: a forked process
  # computes it meanwhile.
  sha_job <- in_background(vapply(paths, sha256_file, "", USE.NAMES = FALSE))
  collected <- FALSE
  # A reader error below must not leave the process behind.
  on.exit(if (!collected) sha_job(discard = TRUE), add = TRUE)
  train <- read_images(paths[["train_images"]], checksum = FALSE)
  t_train <- read_labels(paths[["train_labels"]], checksum = FALSE)
  test <- read_images(paths[["test_images"]], checksum = FALSE)
  t_test <- read_labels(paths[["test_labels"]], checksum = FALSE)
  pairs <- list(list(train, t_train, "train"), list(test, t_test, "test"))
  for (pair in pairs) {
    n_images <- ncol(pair[[1L]]$images)
    n_labels <- length(pair[[2L]]$labels)
    if (n_images != n_labels) {
      idx_error(paths[[paste0(pair[[3L]], "_images")]],
                "has %d images but %s has %d labels", n_images,
                paths[[paste0(pair[[3L]], "_labels")]], n_labels)
    }
  }
  if (!identical(test$image_shape, train$image_shape)) {
    idx_error(paths[["test_images"]], "images are %s, training images are %s",
              toString(test$image_shape), toString(train$image_shape))
  }
  shas <- sha_job()
  collected <- TRUE
  files <- lapply(seq_along(stems), function(k) {
    list(path = normalizePath(paths[[k]]), sha256 = shas[[k]])
  })
  names(files) <- names(stems)
  list(x_train = train$images, t_train = t_train$labels,
       x_test = test$images, t_test = t_test$labels,
       image_shape = train$image_shape, files = files)
}

#' Write labels (a vector) or images (an n x rows x cols array) as IDX
#'
#' @param path File to write.
#' @param x Integer vector of labels, or array c(n, rows, cols) of images;
#'   values 0..255.
#' @param compress Gzip the file.
#' @return path, invisibly.
write_idx <- function(path, x, compress = FALSE) {
  dims <- if (is.null(dim(x))) length(x) else dim(x)
  magic <- if (length(dims) == 1L) idx_magic()[["labels"]] else
    idx_magic()[["images"]]
  # IDX is row-major (the last index fastest): R's column-major order of the
  # array with its dimensions reversed.
  values <- if (length(dims) == 1L) x else aperm(x, rev(seq_along(dims)))
  con <- if (compress) gzfile(path, "wb") else file(path, "wb")
  on.exit(close(con))
  writeBin(as.integer(c(magic, dims)), con, size = 4L, endian = "big")
  writeBin(as.raw(values), con)
  invisible(path)
}

#' Images idx (1-based) as a double batch, one image per row, scaled by 1/255
#'
#' The book's normalize = TRUE, done per batch so the full set need not
#' exist as doubles.
#'
#' @param images Raw matrix from load_dataset(), one image per column, or
#'   the same already scaled by scale_images() (a double matrix).
#' @param idx 1-based image indices.
#' @return Double matrix length(idx) x nrow(images).
image_batch <- function(images, idx) {
  if (is.double(images)) return(t(images[, idx, drop = FALSE]))
  # Transposed while still one byte per pixel; dim() instead of matrix()
  # saves a copy of the doubles.
  block <- t(images[, idx, drop = FALSE])
  x <- as.integer(block) / 255
  dim(x) <- dim(block)
  x
}

#' Images idx (1-based) scaled by 1/255, one image per column
#'
#' image_batch() without the transpose, for forward(columns = TRUE) and
#' gradient_columns().
#'
#' @inheritParams image_batch
#' @return Double matrix nrow(images) x length(idx).
image_columns <- function(images, idx) {
  if (is.double(images)) return(images[, idx, drop = FALSE])
  block <- images[, idx, drop = FALSE]
  x <- as.integer(block) / 255
  dim(x) <- dim(block)
  x
}

#' A raw image matrix scaled to doubles in [0, 1] once, for many batches
#'
#' image_columns() then only gathers: in R each pass over a batch costs
#' more than in numpy, and training draws 10,000 batches. The price is
#' memory: 8 bytes per pixel instead of 1 (376 MB for 60,000 images).
#'
#' @param images Raw matrix, one image per column.
#' @return Double matrix of the same shape, images / 255.
scale_images <- function(images) {
  x <- as.integer(images) / 255
  dim(x) <- dim(images)
  x
}

#' One-hot rows for 0-based label codes
#'
#' @param labels Integer codes 0..n_classes-1.
#' @param n_classes Number of classes.
#' @return Double matrix length(labels) x n_classes.
one_hot <- function(labels, n_classes = 10L) {
  out <- matrix(0, length(labels), n_classes)
  out[cbind(seq_along(labels), labels + 1L)] <- 1
  out
}

#' Where a dataset lives unless --data-dir says otherwise
#'
#' @param dataset "fashion-mnist" or "mnist".
#' @return Directory path.
default_data_dir <- function(dataset) {
  if (dataset == "fashion-mnist") return("/usr/share/datasets/fashion-mnist")
  cache <- Sys.getenv("XDG_CACHE_HOME")
  if (!nzchar(cache)) cache <- file.path(path.expand("~"), ".cache")
  file.path(cache, "dlfs", "mnist")
}

#' Mirrors to try: $DLFS_MNIST_MIRRORS (comma or space separated) or defaults
#'
#' @return Character vector of base URLs ending in "/".
mirror_list <- function() {
  env <- strsplit(gsub(",", " ", Sys.getenv("DLFS_MNIST_MIRRORS")), " ")[[1L]]
  env <- env[nzchar(env)]
  if (length(env) == 0L) return(default_mirrors())
  ifelse(endsWith(env, "/"), env, paste0(env, "/"))
}

#' Download url into dest atomically if its SHA-256 matches
#'
#' @param url URL.
#' @param dest Destination file.
#' @param sha256 Expected hex digest.
#' @return NULL on success, else the reason for failure.
fetch_file <- function(url, dest, sha256) {
  tmp <- tempfile(paste0(".", basename(dest), "."), dirname(dest), ".part")
  on.exit(unlink(tmp))
  failed <- tryCatch({
    utils::download.file(url, tmp, mode = "wb", quiet = TRUE)
    NULL
  }, error = conditionMessage, warning = conditionMessage)
  if (!is.null(failed)) return(failed)
  got <- sha256_file(tmp)
  if (got != sha256) return(sprintf("SHA-256 %s != expected %s", got, sha256))
  if (!file.rename(tmp, dest)) return(sprintf("cannot rename to %s", dest))
  NULL
}

#' Fetch one file from the first mirror serving its bytes
#'
#' @param name File name (appended to each mirror's URL).
#' @param dest Destination file.
#' @param sha256 Expected hex digest.
#' @param mirrors Base URLs, tried in order.
#' @param log Report failed mirrors.
#' @return NULL; an error naming dest and every failure if no mirror served
#'   the right bytes.
fetch_from_mirrors <- function(name, dest, sha256, mirrors, log) {
  failures <- character()
  for (base in mirrors) {
    why <- fetch_file(paste0(base, name), dest, sha256)
    if (is.null(why)) return(invisible(NULL))
    failures <- c(failures, paste0(base, name, ": ", why))
    if (log) {
      message("download failed, trying next mirror: ",
              failures[[length(failures)]])
    }
  }
  idx_error(dest, "no mirror served a valid copy:\n  %s",
            paste(failures, collapse = "\n  "))
}

#' Fetch each missing or wrong file from the first mirror serving its bytes
#'
#' @param dest_dir Directory to download into (created if needed).
#' @param mirrors Base URLs, tried in order.
#' @param checksums Named character vector: file name -> SHA-256.
#' @param log Report failed mirrors.
#' @return The downloaded files' paths, named by file name (invisibly).
download_mnist <- function(dest_dir, mirrors = mirror_list(),
                           checksums = mnist_sha256(), log = TRUE) {
  dir.create(dest_dir, recursive = TRUE, showWarnings = FALSE)
  if (!dir.exists(dest_dir)) {
    idx_error(dest_dir, "cannot create the download directory")
  }
  for (name in names(checksums)) {
    dest <- file.path(dest_dir, name)
    valid <- file.exists(dest) && !dir.exists(dest) &&
      sha256_file(dest) == checksums[[name]]
    if (!valid) {
      fetch_from_mirrors(name, dest, checksums[[name]], mirrors, log)
    }
  }
  invisible(file.path(dest_dir, names(checksums)))
}
