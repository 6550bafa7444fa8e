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

#' softmax's x: a double vector or matrix with at least one class (column)
#'
#' @param x Candidate logits.
#' @return x as double.
check_logits <- function(x) {
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  if (shape_of(x)[length(shape_of(x))] == 0L) {
    dlfs_abort("input_error", sprintf(
      "x must have at least one class (column), got shape (%s)",
      toString(shape_of(x))
    ))
  }
  x
}

#' cross_entropy_error's y and t: finite probabilities, and t's class codes
#'
#' @param y Probabilities: a vector (one sample) or a matrix (one row each).
#' @param t One-hot array of y's shape, or 0-based class codes.
#' @return The 0-based class codes of y's rows.
check_probabilities <- function(y, t) {
  y <- numeric_array(y, "y")
  require_ndim(y, "y")
  if (length(y) == 0L) {
    dlfs_abort("input_error", sprintf(
      "y must hold at least one row and one class, got shape (%s)",
      toString(shape_of(y))
    ))
  }
  require_all_finite(y, "y")
  if (any(y < 0)) {
    dlfs_abort("input_error",
               "y must hold probabilities (>= 0); got a negative value")
  }
  labels_of(t, y)
}

#' mean_squared_error's y and t: finite arrays of the same shape
#'
#' R would recycle a shorter t silently where numpy raises.
#'
#' @param y,t Candidate arrays.
#' @return y as double.
check_same_shape <- function(y, t) {
  y <- numeric_array(y, "y")
  t <- numeric_array(t, "t")
  if (!identical(as.integer(shape_of(y)), as.integer(shape_of(t)))) {
    dlfs_abort("input_error", sprintf(
      "y and t must have the same shape, got (%s) and (%s)",
      toString(shape_of(y)), toString(shape_of(t))
    ))
  }
  require_all_finite(y, "y")
  require_all_finite(t, "t")
  y
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

#' TwoLayerNet's layer widths (whole numbers >= 1) and weight_init_std
#'
#' @param input_size,hidden_size,output_size Candidate layer widths.
#' @param weight_init_std Candidate scale of the initial weights (finite,
#'   >= 0).
#' @return NULL, invisibly.
check_net_sizes <- function(input_size, hidden_size, output_size,
                            weight_init_std) {
  require_count(input_size, "input_size")
  require_count(hidden_size, "hidden_size")
  require_count(output_size, "output_size")
  if (!is_real_scalar(weight_init_std) || !is.finite(weight_init_std) ||
        weight_init_std < 0) {
    dlfs_abort("input_error", sprintf(
      "weight_init_std must be a finite number >= 0, got %s",
      deparse(weight_init_std)[1L]
    ))
  }
  invisible(NULL)
}

#' params, a list with the names of shapes, each a double array of that shape
#'
#' @param params Candidate weights.
#' @param shapes Named list of extents (length 1 for a plain vector).
#' @return params in shapes' order.
check_params <- function(params, shapes) {
  keys <- names(shapes)
  if (!is.list(params) || !setequal(names(params), keys) ||
        length(params) != length(keys)) {
    dlfs_abort("input_error", sprintf(
      "params must be a list with keys (%s), got (%s)", toString(keys),
      toString(if (is.list(params)) names(params) else typeof(params))
    ))
  }
  for (key in keys) {
    value <- params[[key]]
    if (!is.double(value)) {
      dlfs_abort("input_type_error", sprintf("params$%s must be double, got %s",
                                             key, typeof(value)))
    }
    if (!has_shape(value, shapes[[key]])) {
      dlfs_abort("input_error", sprintf(
        "params$%s must have shape (%s), got (%s)", key,
        toString(shapes[[key]]), toString(shape_of(value))
      ))
    }
  }
  params[keys]
}

#' Does value have this shape: a matrix's dim, or a plain vector's length?
#'
#' @param value An array.
#' @param want Integer extents (length 1 for a plain vector).
#' @return TRUE or FALSE.
has_shape <- function(value, want) {
  if (length(want) == 2L) {
    return(identical(dim(value), want))
  }
  is.null(dim(value)) && length(value) == want
}

#' The net's x, after its params: a finite sample or batch of rows
#'
#' @param x Matrix (one sample per row) or vector (one sample).
#' @param params The weights to use, checked too.
#' @param shapes The net's shapes.
#' @return x as double (a 1-d array as a plain vector).
check_input <- function(x, params, shapes) {
  check_params(params, shapes)
  if (length(dim(x)) == 1L) dim(x) <- NULL
  n_in <- shapes$W1[1L]
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  if (shape_of(x)[length(shape_of(x))] != n_in) {
    dlfs_abort("input_error", sprintf("x must have %d columns, got shape (%s)",
                                      n_in, toString(shape_of(x))))
  }
  if (length(x) == 0L) {
    dlfs_abort("input_error", sprintf("x is an empty batch (shape (%s))",
                                      toString(shape_of(x))))
  }
  require_all_finite(x, "x")
  x
}

#' The net's x and t checked, and the method of its numerical gradient
#'
#' @inheritParams check_input
#' @param t One-hot rows or 0-based class codes.
#' @param method "series" or "plain".
#' @return The 0-based class codes of x's rows.
check_batch <- function(x, t, params, shapes, method = "series") {
  x <- check_input(x, params, shapes)
  if (!is.character(method) || length(method) != 1L ||
        !method %in% c("series", "plain")) {
    dlfs_abort("input_error", sprintf(
      "method must be 'series' or 'plain', got %s", deparse(method)[1L]
    ))
  }
  k <- shapes$W2[2L]
  labels_of(t, if (is.matrix(x)) matrix(0, nrow(x), k) else numeric(k))
}
