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

#' Shape of an array as numpy reports it: dim, or the length of a plain vector
#'
#' @param a A vector, matrix or array.
#' @return Integer vector of extents.
shape_of <- function(a) {
  if (is.null(dim(a))) length(a) else dim(a)
}

#' Refuse a non-double array
#'
#' x + h on integers would silently give a wrong gradient (or, in R, quietly
#' promote), so only double vectors and matrices are accepted.
#'
#' @param x The value to check.
#' @param name Its name, for the error message.
#' @return x, invisibly.
require_float <- function(x, name = "x") {
  if (!is.double(x)) {
    dlfs_abort("input_type_error", sprintf(
      paste("%s must be a double vector or matrix (x + h on integers is",
            "wrong), got %s"), name, typeof(x)
    ))
  }
  invisible(x)
}

#' Class codes 0..K-1 of t (one-hot rows or codes already), checked against y
#'
#' Codes are 0-based, as in Python and the fixtures; index R arrays with
#' `labels + 1L`. Codes must be integer (1L, as.integer()), as Python
#' requires an integer dtype: a double t of the wrong shape is more likely a
#' malformed one-hot than labels.
#'
#' @param t One-hot array of y's shape, or integer codes of shape y minus its
#'   last extent.
#' @param y Predictions: a vector (one sample) or a matrix (rows).
#' @return Integer vector of 0-based class codes.
labels_of <- function(t, y) {
  y_shape <- shape_of(y)
  if (!is.numeric(t)) {
    dlfs_abort("input_type_error", sprintf(
      "t must be integer labels or one-hot rows, got %s", describe(t)
    ))
  }
  if (identical(as.integer(shape_of(t)), as.integer(y_shape))) {
    require_one_hot(t)
    # One-hot: ties.method = "first" and which.max are np.argmax's rule.
    if (is.matrix(t)) {
      return(max.col(t, ties.method = "first") - 1L)
    }
    return(which.max(t) - 1L)
  }
  check_codes(t, y_shape)
}

#' t itself if it holds integer codes for predictions of shape y_shape
#'
#' @param t Candidate class codes.
#' @param y_shape Shape of the predictions.
#' @return t, or an error naming the problem.
check_codes <- function(t, y_shape) {
  codes_shape <- if (length(y_shape) > 1) y_shape[-length(y_shape)] else 1L
  if (!is.integer(t) || length(dim(t)) > 1 || length(t) != prod(codes_shape)) {
    dlfs_abort("input_error", sprintf(paste(
      "t must be one-hot of shape (%s) or integer labels of shape (%s),",
      "got %s (%s)"
    ), toString(y_shape), toString(codes_shape), typeof(t),
    toString(shape_of(t))))
  }
  k <- y_shape[length(y_shape)]
  if (anyNA(t)) {
    dlfs_abort("input_error", "labels t contain NA")
  }
  if (length(t) && (min(t) < 0 || max(t) >= k)) {
    dlfs_abort("input_error", sprintf("labels t must lie in 0..%d, got %s..%s",
                                      k - 1L, min(t), max(t)))
  }
  t
}

#' Refuse a t of y's shape whose rows are not one 1 among 0s
#'
#' argmax would pick a class from any row, so a malformed one-hot t would
#' silently give a wrong loss.
#'
#' @param t Candidate one-hot array (a vector is one row).
#' @return NULL, invisibly.
require_one_hot <- function(t) {
  ones <- !is.na(t) & t == 1
  t2 <- if (is.matrix(t)) t else matrix(t, nrow = 1L)
  if (anyNA(t) || any(t != 0 & t != 1) ||
        any(rowSums(matrix(ones, nrow = nrow(t2))) != 1)) {
    dlfs_abort("input_error", paste(
      "t has the shape of y, so each row must be one-hot (a single 1, zeros",
      "elsewhere); pass integer labels otherwise"
    ))
  }
  invisible(NULL)
}
