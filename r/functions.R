# Activation and loss functions (the book's common/functions.py, made
# exact-safe). Mirrors python/functions.py.

# The book's guard against log(0); it biases the loss by ~1e-7.
ce_delta <- 1e-7

#' Shape of an array as numpy reports it: dim, or the length of a plain vector
#'
#' @param a A vector, matrix or array.
#' @return Integer vector of extents.
shape_of <- function(a) {
  if (is.null(dim(a))) length(a) else dim(a)
}

#' Logistic function, accurate to 2 ULP over all doubles (subnormals included)
#'
#' Python's sigmoid and sigmoid_inplace in one: R reuses the storage of
#' unreferenced temporaries by itself.
#'
#' @param x Numeric vector, matrix or array; its dim is kept. NaN stays NaN.
#' @return sigmoid(x), same shape as x.
sigmoid <- function(x) {
  x <- numeric_array(x, "x")
  # exp(-|x|) never overflows; e / (1 + e) keeps the tiny results of x < 0
  # that 1 / (1 + exp(-x)) loses.
  e <- exp(-abs(x))
  # Both branches in one division: numerator 1 where x >= 0, else e. (A NaN
  # test index is skipped by the scalar assignment, so NaN stays NaN.)
  numerator <- e
  numerator[x >= 0] <- 1
  numerator / (1 + e)
}

#' sigmoid(x), sigmoid(|x|) and sigmoid(-|x|), from one exp
#'
#' value is sigmoid(x) with sigmoid's bits (upper where x >= 0, lower
#' elsewhere); sigmoid(-x) is the other half, so upper * lower is
#' sigmoid_grad(x) with its bits whatever the sign of x.
#'
#' @param x Numeric array.
#' @return list(value, upper = 1 / (1 + e), lower = e / (1 + e)), e =
#'   exp(-|x|), each shaped like x.
sigmoid_halves <- function(x) {
  e <- exp(-abs(x))
  d <- 1 + e
  # sigmoid()'s numerator: a division instead of selecting between the two
  # halves (which() and two index passes).
  numerator <- e
  numerator[x >= 0] <- 1
  list(value = numerator / d, upper = 1 / d, lower = e / d)
}

#' Derivative of the sigmoid with respect to its input x
#'
#' @param x Numeric vector, matrix or array.
#' @return sigmoid'(x), same shape as x.
sigmoid_grad <- function(x) {
  x <- numeric_array(x, "x")
  # s(x) * s(-x) equals s(x) * (1 - s(x)) but keeps its digits where
  # 1 - s(x) would cancel.
  sigmoid(x) * sigmoid(-x)
}

#' Softmax of a vector, or of each row of a matrix, shifted by the max
#'
#' The shift by the row maximum means exp never overflows.
#'
#' @param x Numeric vector or matrix (one distribution per row).
#' @return Probabilities, same shape as x.
softmax <- function(x) {
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  if (shape_of(x)[length(shape_of(x))] == 0L) {
    dlfs_abort("input_error", sprintf(
      "x must have at least one class (column), got shape (%s)",
      toString(shape_of(x))
    ))
  }
  if (is.matrix(x)) {
    # max.col picks the row maxima in one pass; "first" uses exact
    # comparisons. Subtracting a length-nrow vector recycles down columns,
    # i.e. row-wise, without sweep().
    n <- nrow(x)
    at_max <- max.col(x, ties.method = "first")
    # max.col gives NA for a row with NaN; shifting that row by any of its
    # elements keeps it NaN (not NA), as in numpy.
    at_max[is.na(at_max)] <- 1L
    row_max <- x[seq_len(n) + (at_max - 1L) * n]
    e <- exp(x - row_max)
    return(e / .rowSums(e, n, ncol(e))) # rowSums without argument checks
  }
  e <- exp(x - max(x))
  e / sum(e)
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

#' Mean over the batch of -log(y[true class] + 1e-7)
#'
#' @param y Probabilities: a vector (one sample) or a matrix (one row each).
#' @param t One-hot array of y's shape, or 0-based class codes.
#' @return The loss, a double scalar.
cross_entropy_error <- function(y, t) {
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
  cross_entropy_of_labels(y, labels_of(t, y))
}

#' cross_entropy_error for checked labels; NaN in y (diverged weights) gives
#' NaN
#'
#' @param y Probabilities: a vector or a matrix.
#' @param labels 0-based class codes from labels_of().
#' @return The loss, a double scalar.
cross_entropy_of_labels <- function(y, labels) {
  y2 <- if (is.matrix(y)) y else matrix(y, nrow = 1L)
  picked <- y2[cbind(seq_len(nrow(y2)), labels + 1L)]
  -sum(log(picked + ce_delta)) / nrow(y2)
}

#' Half the sum of squared differences, as the book defines it
#'
#' @param y,t Numeric arrays of the same shape.
#' @return A double scalar.
mean_squared_error <- function(y, t) {
  # R would recycle a shorter t silently where numpy raises.
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
  0.5 * sum((y - t)^2)
}
