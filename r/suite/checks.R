# Argument checks shared by the public functions: each failure signals a
# dlfs_input_error naming the argument. Mirrors python/suite/checks.py.

#' A short description of a value for an error message: type and shape
#'
#' @param x Any value.
#' @return A string such as "character (2)".
describe <- function(x) {
  sprintf("%s (%s)", typeof(x), toString(if (is.null(dim(x))) length(x)
                                         else dim(x)))
}

#' x as a double array, refusing non-numeric input
#'
#' Logical, complex, character, lists and NULL are refused: R would coerce
#' some of them silently.
#'
#' @param x Candidate array.
#' @param name Its name, for the error message.
#' @return x with storage mode double, its dim kept.
numeric_array <- function(x, name) {
  if (!is.numeric(x)) {
    dlfs_abort("input_type_error",
               sprintf("%s must be numeric, got %s", name, describe(x)))
  }
  if (!is.double(x)) storage.mode(x) <- "double"
  x
}

#' Refuse an array whose number of dimensions is not allowed (e.g. 3-D)
#'
#' @param x An array; a plain vector counts as one dimension.
#' @param name Its name.
#' @param allowed Allowed numbers of dimensions.
#' @return NULL, invisibly.
require_ndim <- function(x, name, allowed = c(1L, 2L)) {
  ndim <- if (is.null(dim(x))) 1L else length(dim(x))
  if (!ndim %in% allowed) {
    dlfs_abort("input_error", sprintf(
      "%s must have %s dimensions, got %d (shape %s)", name,
      paste(allowed, collapse = " or "), ndim, toString(dim(x))
    ))
  }
  invisible(NULL)
}

#' Refuse NaN, NA and infinities
#'
#' @param x A numeric array.
#' @param name Its name.
#' @return NULL, invisibly.
require_all_finite <- function(x, name) {
  if (!all(is.finite(x))) {
    dlfs_abort("input_error",
               sprintf("%s contains NaN or infinite values", name))
  }
  invisible(NULL)
}

#' Is value one real number (not logical, not NA)?
#'
#' @param value Candidate.
#' @return TRUE or FALSE.
is_real_scalar <- function(value) {
  is.numeric(value) && length(value) == 1L && !is.na(value)
}

#' A finite number > 0 (a learning rate)
#'
#' @param value Candidate.
#' @param name Its name.
#' @return value as a double.
require_positive <- function(value, name) {
  if (!is_real_scalar(value) || !is.finite(value) || value <= 0) {
    dlfs_abort("input_error", sprintf("%s must be a finite number > 0, got %s",
                                      name, deparse(value)[1L]))
  }
  as.double(value)
}

#' A whole number >= minimum (a size or a number of steps)
#'
#' @param value Candidate.
#' @param name Its name.
#' @param minimum Smallest allowed value.
#' @return value as a double (whole-valued; R's integers stop at 2^31 - 1).
require_count <- function(value, name, minimum = 1) {
  if (!is_real_scalar(value) || !is.finite(value) || value != round(value) ||
        value < minimum) {
    dlfs_abort("input_error", sprintf(
      "%s must be a whole number >= %d, got %s", name, minimum,
      deparse(value)[1L]
    ))
  }
  as.double(value)
}
