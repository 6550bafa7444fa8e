# IDX files for the tests: the inverse of r/mnist.R's readers, so tests make
# their own small datasets. Mirrors tests/idx_files.py. idx_magic comes from
# r/load.R, which the other helpers source into this same environment.

#' Write labels (a vector) or images (an n x rows x cols array) as IDX
#'
#' @param path File to write.
#' @param x Integer labels, or array c(n, rows, cols) of images; 0..255.
#' @param compress Gzip the file.
#' @return path, invisibly.
write_idx <- function(path, x, compress = FALSE) {
  dims <- shape_of(x)
  magic <- idx_magic[[if (length(dims) == 1L) "labels" else "images"]]
  # IDX is row-major: R's column-major order with the dimensions reversed.
  values <- if (length(dims) == 1L) x else aperm(x, rev(seq_along(dims)))
  con <- if (compress) gzfile(path, "wb") else file(path, "wb")
  on.exit(close(con))
  writeBin(as.integer(c(magic, dims)), con, size = 4L, endian = "big")
  writeBin(as.raw(values), con)
  invisible(path)
}
