# Checkpoints both languages read and write byte for byte, and atomic
# (temporary file, then rename) writes. Mirrors python/suite/checkpoint.py
# (the training state in them: r/suite/train_state.R), whose docstring
# specifies the format:
#   line 1: "DLFS-CHECKPOINT 1"
#   line 2: one-line JSON header, fixed key order, no spaces
#   then:   each array's little-endian float64 values, row-major, in order.

checkpoint_magic <- charToRaw("DLFS-CHECKPOINT 1\n")

#' Run write_fn(tmp) on a temporary path next to path, then rename it over
#' path (if write_fn fails, path stays as it was; no temporary is left)
#'
#' @param path Destination file.
#' @param write_fn Function of one argument, the temporary path.
with_atomic_path <- function(path, write_fn) {
  tmp <- tempfile(paste0(".", basename(path), "."), dirname(path), ".tmp")
  on.exit(unlink(tmp))
  write_fn(tmp)
  if (!file.rename(tmp, path)) {
    stop(sprintf("%s: cannot rename %s over it", path, tmp), call. = FALSE)
  }
  invisible(path)
}

#' Write a raw vector, or text (UTF-8, as is), to path atomically
#'
#' @param path Destination file.
#' @param data Raw vector or a single character string.
write_atomic <- function(path, data) {
  if (is.character(data)) data <- charToRaw(enc2utf8(data))
  with_atomic_path(path, function(tmp) writeBin(data, tmp))
}

# An error about a checkpoint file (source), sprintf(...) its message.
checkpoint_error <- function(source, ...) {
  dlfs_abort("checkpoint_error", paste0(source, ": ", sprintf(...)))
}

#' The checkpoint bytes (raw) for a named list of double vectors and
#' matrices, in order
#'
#' @param params Named list of double vectors / matrices.
encode_checkpoint <- function(params) {
  entries <- character()
  blobs <- list()
  offset <- 0
  for (name in names(params)) {
    value <- params[[name]]
    if (!is.double(value) || length(dim(value)) > 2L) {
      stop(sprintf("checkpoint array %s must be a double vector or matrix",
                   name), call. = FALSE)
    }
    row_major <- if (is.matrix(value)) as.vector(t(value)) else as.vector(value)
    blob <- writeBin(row_major, raw(), size = 8L, endian = "little")
    entries <- c(entries, sprintf(
      '{"name":%s,"shape":[%s],"offset":%.0f,"nbytes":%.0f,"sha256":"%s"}',
      jsonlite::toJSON(name, auto_unbox = TRUE),
      paste(shape_of(value), collapse = ","), offset, length(blob),
      digest::digest(blob, algo = "sha256", serialize = FALSE)
    ))
    blobs[[name]] <- blob
    offset <- offset + length(blob)
  }
  header <- paste0('{"format":"dlfs-checkpoint","version":1,"dtype":"<f8",',
                   '"order":"C","arrays":[', paste(entries, collapse = ","),
                   "]}\n")
  c(checkpoint_magic, charToRaw(header), unlist(blobs, use.names = FALSE))
}

#' Named double matrices (2-d) and vectors (1-d) from checkpoint bytes,
#' every length and checksum verified
#'
#' @param data Raw vector.
#' @param source Name for error messages.
decode_checkpoint <- function(data, source = "<bytes>") {
  m <- length(checkpoint_magic)
  if (length(data) < m || !identical(data[seq_len(m)], checkpoint_magic)) {
    checkpoint_error(source, "not a DLFS checkpoint (bad first line)")
  }
  end <- m + which(data[-seq_len(m)] == as.raw(10L))[1L]
  if (is.na(end)) checkpoint_error(source, "truncated header (no end of line)")
  header <- tryCatch(
    jsonlite::fromJSON(rawToChar(data[(m + 1L):(end - 1L)]),
                       simplifyVector = FALSE),
    error = function(e) {
      checkpoint_error(source, "header is not valid JSON (%s)",
                       conditionMessage(e))
    }
  )
  if (!identical(header[c("version", "dtype", "order")],
                 list(version = 1L, dtype = "<f8", order = "C"))) {
    checkpoint_error(source, "unsupported header version/dtype/order")
  }
  body <- data[-seq_len(end)]
  total <- sum(vapply(header$arrays, function(a) as.numeric(a$nbytes), 0))
  if (length(body) != total) {
    checkpoint_error(source, "%s: header lists %.0f array bytes, file has %d",
                     if (length(body) < total) "truncated" else
                       "trailing bytes", total, length(body))
  }
  out <- lapply(header$arrays, decode_array, body = body, source = source)
  names(out) <- vapply(header$arrays, function(a) a$name, "")
  out
}

# One array (header entry a) of a checkpoint's body, its length and SHA-256
# checked: a matrix (2-d) or a plain vector (1-d).
decode_array <- function(a, body, source) {
  shape <- as.numeric(unlist(a$shape))
  if (!length(shape) %in% 1:2 || a$nbytes != 8 * prod(shape) ||
        a$offset + a$nbytes > length(body)) {
    checkpoint_error(source, "array %s has unsupported or inconsistent shape",
                     a$name)
  }
  blob <- body[a$offset + seq_len(a$nbytes)]
  if (digest::digest(blob, algo = "sha256", serialize = FALSE) != a$sha256) {
    checkpoint_error(source, "array %s fails its SHA-256 check", a$name)
  }
  values <- readBin(blob, "double", prod(shape), size = 8L, endian = "little")
  if (length(shape) == 1L) return(values)
  matrix(values, shape[[1L]], shape[[2L]], byrow = TRUE)
}

#' Write arrays as a checkpoint file, atomically (Python's save_checkpoint;
#' R's save_checkpoint() writes a run's state: r/suite/run_files.R)
#'
#' @param path Destination file.
#' @param params Named list of double vectors / matrices.
write_checkpoint <- function(path, params) {
  write_atomic(path, encode_checkpoint(params))
}

#' The arrays of a checkpoint file written by either language
#'
#' @param path Checkpoint file.
load_checkpoint <- function(path) {
  if (!file.exists(path)) checkpoint_error(path, "file not found")
  decode_checkpoint(readBin(path, "raw", file.size(path)), path)
}

#' W1 b1 W2 b2 of any checkpoint file (other arrays, such as a training
#' state, are ignored)
#'
#' @param path Checkpoint file.
load_weights <- function(path) {
  arrays <- load_checkpoint(path)
  missing <- setdiff(param_keys, names(arrays))
  if (length(missing) > 0L) {
    checkpoint_error(path, "has no %s; --checkpoint-in needs the arrays %s",
                     paste(missing, collapse = " "),
                     paste(param_keys, collapse = " "))
  }
  arrays[param_keys]
}
