# Activation and loss functions (the book's common/functions.py), exact over
# all doubles. Mirrors python/functions.py.

# The book's guard against log(0); it biases the loss by ~1e-7.
ce_delta <- 1e-7

#' Logistic function, accurate to 2 ULP over all doubles (subnormals included)
#'
#' @param x Numeric vector, matrix or array; its dim is kept. NaN stays NaN.
#' @return sigmoid(x), same shape as x.
sigmoid <- function(x) {
  x <- numeric_array(x, "x")
  # exp(-|x|) never overflows; e / (1 + e) keeps the tiny results of x < 0
  # that 1 / (1 + exp(-x)) loses. The numerator is 1 where x >= 0, e
  # elsewhere (a NaN test index is skipped, so NaN stays NaN: ifelse() would
  # give NA).
  e <- exp(-abs(x))
  numerator <- e
  numerator[x >= 0] <- 1
  numerator / (1 + e)
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
  x <- check_logits(x)
  if (is.matrix(x)) {
    # A length-nrow vector recycles down the columns: one max per row.
    x <- x - apply(x, 1L, max)
    e <- exp(x)
    return(e / rowSums(e))
  }
  x <- x - max(x)
  e <- exp(x)
  e / sum(e)
}

#' Mean over the batch of -log(y[true class] + 1e-7)
#'
#' @param y Probabilities: a vector (one sample) or a matrix (one row each).
#' @param t One-hot array of y's shape, or 0-based class codes.
#' @return The loss, a double scalar.
cross_entropy_error <- function(y, t) {
  t <- check_probabilities(y, t) # t as the 0-based class codes of y's rows
  if (!is.matrix(y)) y <- matrix(y, nrow = 1L)
  batch_size <- nrow(y)
  -sum(log(y[cbind(seq_len(batch_size), t + 1L)] + ce_delta)) / batch_size
}

#' Half the sum of squared differences, as the book defines it
#'
#' @param y,t Numeric arrays of the same shape.
#' @return A double scalar.
mean_squared_error <- function(y, t) {
  y <- check_same_shape(y, t) # y as double: integer y - t could overflow
  0.5 * sum((y - t)^2)
}
