# Activation and loss functions (the book's common/functions.py), exact over
# all doubles. Mirrors python/functions.py.

# The book's guard against log(0); it biases the loss by ~1e-7.
ce_delta <- 1e-7

#' Logistic function, within 2 ULP over all doubles (subnormals included)
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
  d <- 1 + e
  d_lost <- (1 - d) + e # 1 + e = d + d_lost exactly (Fast2Sum: 1 >= e)
  # Where e lies just above a power of two, the roundings of 1 + e and of the
  # division cost up to a whole ULP of the result each (2.47 ULP measured
  # with them): divide() takes both out, leaving exp's.
  numerator <- e
  numerator[x >= 0] <- 1
  q <- divide(numerator, d, d_lost)
  q$value + q$lost
}

#' Derivative of the sigmoid with respect to its input x, within 3 ULP
#'
#' @param x Numeric vector, matrix or array.
#' @return sigmoid'(x), same shape as x.
sigmoid_grad <- function(x) {
  x <- numeric_array(x, "x")
  # e / (1 + e)^2 equals s(x) * (1 - s(x)) but keeps its digits where
  # 1 - s(x) would cancel. The rounding of 1 + e is taken out as in sigmoid,
  # to first order: e / (d + d_lost)^2 = g - 2 g d_lost / d (s(x) * s(-x)
  # measured 4.40 ULP, this 2.79).
  e <- exp(-abs(x))
  d <- 1 + e
  d_lost <- (1 - d) + e
  g <- e / d / d
  g - 2 * g * d_lost / d
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

# The exact-arithmetic steps of sigmoid's correction (error-free
# transformations, as in double-double libraries).

#' n / (d + d_lost) as value + lost
#'
#' @param n,d,d_lost Numeric arrays of one shape, |d_lost| much below d.
#' @return list(value = the float quotient, lost = what it lost, to first
#'   order in d_lost).
divide <- function(n, d, d_lost) {
  q <- n / d
  # n - q * d exactly (Sterbenz, then Dekker)
  residual <- (n - q * d) - product_error(q, d)
  list(value = q, lost = (residual - q * d_lost) / d)
}

#' a * b - fl(a * b) exactly (Dekker's product)
#'
#' @param a,b Numeric arrays of one shape, |a|, |b| <= 2 (no overflow).
#' @return The rounding error of a * b, same shape.
product_error <- function(a, b) {
  p <- a * b
  a_split <- veltkamp_split(a)
  b_split <- veltkamp_split(b)
  ((a_split$hi * b_split$hi - p) + a_split$hi * b_split$lo +
     a_split$lo * b_split$hi) + a_split$lo * b_split$lo
}

#' a = hi + lo exactly, each with at most 26 significant bits
#'
#' So that products of halves are exact.
#'
#' @param a Numeric array.
#' @return list(hi, lo), each shaped like a.
veltkamp_split <- function(a) {
  scaled <- 134217729 * a # Veltkamp: two to the 27th, plus one
  hi <- scaled - (scaled - a)
  list(hi = hi, lo = a - hi)
}
