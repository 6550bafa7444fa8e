# Read the fixture files bit-exactly, verifying the manifest checksums and
# every array's bits. Mirrors python/fixtures_io.py.

# The fixtures directory; relative to the working directory until
# load_modules() (r/load.R) makes it absolute for the repository it loads.
fixtures_root <- "fixtures"
fixtures_schema_version <- 1L

#' Signal a fixture_error (a missing, tampered or malformed fixture file)
#'
#' @param ... Pieces of the message, pasted together.
fixture_error <- function(...) {
  dlfs_abort("fixture_error", paste0(...))
}

#' SHA-256 of the values as little-endian float64 bytes
#'
#' @param values Double vector, already in row-major order.
#' @return Hex digest.
bits_sha256 <- function(values) {
  bytes <- writeBin(as.double(values), raw(), endian = "little")
  digest::digest(bytes, algo = "sha256", serialize = FALSE)
}

#' SHA-256 of a file's bytes
#'
#' @param path File path.
#' @return Hex digest.
file_sha256 <- function(path) {
  digest::digest(file = path, algo = "sha256")
}

#' Turn ARRAY objects (recursively inside maps) into R arrays
#'
#' @param value Parsed JSON (jsonlite, simplifyVector = FALSE).
#' @param where Location for error messages ("file:case.key").
#' @return Decoded value; other JSON stays as parsed.
decode <- function(value, where) {
  if (is.list(value) && all(c("dtype", "data") %in% names(value))) {
    return(decode_fixture_array(value, where))
  }
  if (is.list(value) && !is.null(names(value))) {
    out <- lapply(names(value), function(k) {
      decode(value[[k]], paste0(where, ".", k))
    })
    names(out) <- names(value)
    return(out)
  }
  value
}

# Values written for the keys of an ARRAY's "nonfinite" map. NaN is R's
# constant, whose bits (0x7ff8000000000000) are numpy's nan.
nonfinite_values <- c(nan = NaN, posinf = Inf, neginf = -Inf)

#' An ARRAY's data list as doubles, its nulls as 0
#'
#' @param data The parsed data list.
#' @param is_null Which entries are JSON null.
#' @param where Location for error messages.
#' @return Double vector.
numeric_data <- function(data, is_null, where) {
  data[is_null] <- list(0)
  # unlist keeps jsonlite's doubles bit for bit (and widens its integers).
  values <- unlist(data)
  if (length(data) && (!is.numeric(values) || length(values) != length(data))) {
    fixture_error(where, ": data holds non-numeric entries")
  }
  as.double(values)
}

#' Write NaN and the infinities at an ARRAY's "nonfinite" indices
#'
#' @param values Double vector (row-major).
#' @param nonfinite Map from nan/posinf/neginf to 0-based indices.
#' @param where Location for error messages.
#' @return values with the nonfinite entries set.
fill_nonfinite <- function(values, nonfinite, where) {
  for (key in names(nonfinite)) {
    if (!key %in% names(nonfinite_values)) {
      fixture_error(where, ": unknown nonfinite key '", key, "'")
    }
    at <- as.integer(unlist(nonfinite[[key]])) + 1L
    values[at] <- nonfinite_values[[key]]
  }
  values
}

#' One ARRAY object to an R vector or matrix, its bits verified
#'
#' Python's decode_array, renamed: the modules share one environment and
#' r/checkpoint.R defines a decode_array of its own.
#' data is row-major; a 2-d shape becomes matrix(byrow = TRUE), higher ones
#' an aperm'ed array, shape [] a length-1 vector. int64 becomes integer when
#' it fits (labels and indices), else double.
#'
#' @inheritParams decode
#' @param obj A parsed ARRAY object.
#' @return The decoded array.
decode_fixture_array <- function(obj, where) {
  data <- obj$data
  nonfinite <- if (is.null(obj$nonfinite)) list() else obj$nonfinite
  is_null <- vapply(data, is.null, logical(1))
  listed <- sort(as.integer(unlist(nonfinite)))
  if (!identical(which(is_null) - 1L, listed)) {
    fixture_error(where, ": null entries and 'nonfinite' indices disagree")
  }
  values <- fill_nonfinite(numeric_data(data, is_null, where), nonfinite,
                           where)
  if (!identical(bits_sha256(values), obj$sha256)) {
    fixture_error(where,
                  ": values do not match their sha256 (misparsed or edited)")
  }
  shape <- as.integer(unlist(obj$shape))
  if (prod(shape) != length(values)) {
    fixture_error(where, ": ", length(values), " values for shape (",
                  toString(shape), ")")
  }
  if (identical(obj$dtype, "int64") &&
        all(abs(values) <= .Machine$integer.max)) {
    values <- as.integer(values)
  }
  row_major_array(values, shape)
}

#' An array of this shape from its flat row-major values
#'
#' @param values Flat values in numpy's C order.
#' @param shape Integer extents; empty for a scalar.
#' @return A vector (0 or 1 extents), matrix, or array.
row_major_array <- function(values, shape) {
  if (length(shape) <= 1L) {
    return(values)
  }
  if (length(shape) == 2L) {
    return(matrix(values, nrow = shape[1L], ncol = shape[2L], byrow = TRUE))
  }
  aperm(array(values, dim = rev(shape)))
}

#' The manifest, after checking its schema version
#'
#' @param root The fixtures directory.
#' @return Parsed manifest (a list).
load_manifest <- function(root = fixtures_root) {
  path <- file.path(root, "manifest.json")
  if (!file.exists(path)) {
    fixture_error(path, " is missing: run `make fixtures`")
  }
  manifest <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  if (!identical(manifest$schema_version, fixtures_schema_version)) {
    fixture_error(path, ": schema_version ", toString(manifest$schema_version),
                  ", this reader understands ", fixtures_schema_version)
  }
  manifest
}

#' All cases of one function, decoded, after verifying the file
#'
#' @param fn Function name as in the manifest ("sigmoid", "Rng.normal", ...).
#' @param root The fixtures directory.
#' @return Unnamed list of cases (each a list with id, inputs, expected, ...).
load_cases <- function(fn, root = fixtures_root) {
  entry <- load_manifest(root)$files[[fn]]
  if (is.null(entry)) {
    fixture_error("no fixture file for '", fn, "' in ",
                  file.path(root, "manifest.json"))
  }
  path <- file.path(root, entry$path)
  if (!file.exists(path)) {
    fixture_error(path, " is listed in the manifest but missing")
  }
  file_digest <- file_sha256(path)
  if (!identical(file_digest, entry$sha256)) {
    fixture_error(path, ": sha256 ", substr(file_digest, 1, 12),
                  "... does not match the manifest's ",
                  substr(entry$sha256, 1, 12),
                  "... (file edited or corrupt; run `make fixtures`)")
  }
  doc <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  cases <- lapply(doc$cases, function(case) {
    decode(case, paste0(basename(path), ":", toString(case$id)))
  })
  if (length(cases) != entry$cases) {
    fixture_error(path, ": ", length(cases), " cases, the manifest says ",
                  entry$cases)
  }
  cases
}

#' Names of all functions that have fixture files, in manifest order
#'
#' @param root The fixtures directory.
#' @return Character vector.
fixture_functions <- function(root = fixtures_root) {
  names(load_manifest(root)$files)
}
