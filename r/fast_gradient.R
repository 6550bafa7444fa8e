# The net's numerical gradient, every weight at once: the same central
# differences, by series. Mirrors python/fast_gradient.py.
#
# Moving one weight w by d (d = fl(w +- h) - w, the float steps of the plain
# loop) moves the loss of sample b along a one-dimensional path: W1[i, j]
# moves hidden unit j by sigmoid(a1 + d x_i) - z1, which moves the logits
# along W2[j, ]; W2[j, k] moves logit k by d z1_j. Along such a path the loss
# -log(softmax[true] + 1e-7) is an analytic function of s = d * basis, so it
# equals its Taylor polynomial in s to far below rounding when |s| is small.
# The coefficients depend on (sample, column) only, so L(w + d+) - L(w + d-)
# for all weights is a few small matrix products. A series is a list whose
# element r + 1 holds the coefficients of s^r, one matrix (n x C) each.

# Truncation error below (|s| * scale)^7 / 7!, checked by series_limit.
series_degree <- 6L
series_limit <- 1e-2

#' Polynomials P_r (ascending coefficients) with sigmoid^(r)(a) = P_r(z)
#'
#' P_0 = z and P_(r+1) = P_r'(z) * z * (1 - z) = d(z) - z d(z), where d holds
#' the coefficients of z P_r'(z) (all small integers, so exact).
#'
#' @param degree Highest derivative.
#' @return List of coefficient vectors, element r + 1 for P_r.
sigmoid_derivative_polys <- function(degree) {
  polys <- list(c(0, 1))
  for (r in seq_len(degree)) {
    d <- (seq_along(polys[[r]]) - 1) * polys[[r]]
    polys[[r + 1L]] <- c(d, 0) - c(0, d)
  }
  polys
}

#' Evaluate a polynomial (ascending coefficients) by Horner's rule
#'
#' @param coefs Coefficient vector.
#' @param z Values (any shape; kept).
#' @return The polynomial at z.
poly_eval <- function(coefs, z) {
  acc <- z * 0 + coefs[length(coefs)]
  for (c in rev(coefs[-length(coefs)])) acc <- acc * z + c
  acc
}

sigmoid_polys <- sigmoid_derivative_polys(series_degree + 1L)

#' Taylor coefficients of sigmoid(a + s) - sigmoid(a) in s, given z
#'
#' @param z sigmoid(a), a matrix.
#' @param shift 1 for those of softplus(a + s) - softplus(a) (softplus' =
#'   sigmoid).
#' @return A series.
sigmoid_series <- function(z, shift = 0L) {
  c(list(z * 0), lapply(seq_len(series_degree), function(r) {
    poly_eval(sigmoid_polys[[r + 1L - shift]], z) / factorial(r)
  }))
}

#' Product of two truncated series
#'
#' @param a,b Series of the same length.
#' @return Their product, truncated to that length.
series_mul <- function(a, b) {
  lapply(seq_along(a) - 1L, function(r) {
    Reduce(`+`, lapply(0:r, function(i) a[[i + 1L]] * b[[r - i + 1L]]))
  })
}

#' outer(inner(s)) for an inner series without constant term
#'
#' @param outer,inner Series.
#' @return The composed series.
series_compose <- function(outer, inner) {
  out <- c(list(outer[[1L]] + inner[[2L]] * 0),
           rep(list(inner[[2L]] * 0), length(inner) - 1L))
  power <- inner
  for (r in seq_len(length(inner) - 1L)) {
    out <- Map(function(o, p) o + outer[[r + 1L]] * p, out, power)
    power <- series_mul(power, inner)
  }
  out
}

#' log of a series with constant term 1
#'
#' By l_n = m_n - sum_k (k / n) l_k m_(n-k).
#'
#' @param m A series with m[[1]] all ones.
#' @return The series of log(m).
series_log <- function(m) {
  out <- list(m[[1L]] * 0)
  for (n in seq_len(length(m) - 1L)) {
    out[[n + 1L]] <- Reduce(function(acc, k) {
      acc - (k / n) * out[[k + 1L]] * m[[n - k + 1L]]
    }, seq_len(n - 1L), m[[n + 1L]])
  }
  out
}

#' Series in s of each sample's loss when the logits move along directions
#'
#' @param p Probabilities (n x K).
#' @param labels 0-based class codes (length n).
#' @param directions Logit directions, one row per column c (C x K).
#' @param inner Series (n x C) of the step along each direction.
#' @return A series (n x C) of the loss change.
loss_series <- function(p, labels, directions, inner) {
  n <- nrow(p)
  moments <- c(list(matrix(1, n, nrow(directions))),
               lapply(seq_len(series_degree), function(r) {
                 tcrossprod(p, directions^r) / factorial(r)
               }))
  log_m <- series_log(moments)
  toward_true <- t(directions[, labels + 1L, drop = FALSE])
  psi <- c(list(toward_true * 0, toward_true - log_m[[2L]]),
           lapply(log_m[-(1:2)], `-`))
  p_true <- p[cbind(seq_len(n), labels + 1L)] + toward_true * 0
  # -log(p e^u + delta) = -log(delta) - softplus(ell + u), softplus' = sigmoid
  rho <- sigmoid(log(p_true / ce_delta))
  softplus <- sigmoid_series(rho, shift = 1L)
  lapply(series_compose(series_compose(softplus, psi), inner), `-`)
}

#' (mean L(w + d+) - mean L(w + d-)) / 2h for every weight, s = d * basis
#'
#' @param series Loss series (n x C).
#' @param basis The input each weight multiplies (n x rows of w).
#' @param w Weights (rows x C).
#' @return The central differences, shaped like w.
difference_quotient <- function(series, basis, w) {
  d_plus <- (w + h_step) - w
  d_minus <- (w - h_step) - w
  total <- w * 0
  # Powers by repeated products, not pow(): their last-bit differences are
  # far below the bound (each term is a correction of relative size
  # h^(m - 1)); pow() was half the time of this function and would move the
  # result's last bits. Starting from 1 is exact: 1 * v == v.
  plus_m <- minus_m <- basis_m <- 1
  for (m in seq_len(series_degree)) {
    plus_m <- plus_m * d_plus
    minus_m <- minus_m * d_minus
    basis_m <- basis_m * basis
    total <- total + (plus_m - minus_m) * crossprod(basis_m, series[[m + 1L]])
  }
  total / (2 * h_step * nrow(basis))
}

#' Central differences of the loss at w +- h for every weight, at once
#'
#' Signals a condition of class "series_range_error" when the steps are too
#' large for the truncated series to be exact.
#'
#' @param params Named list W1, b1, W2, b2.
#' @param x Batch (n x input_size).
#' @param labels 0-based class codes.
#' @return Named list W1, b1, W2, b2 (biases plain vectors).
series_numerical_gradient <- function(params, x, labels) {
  n <- nrow(x)
  # Checked first: inputs this large would also overflow the forward pass.
  scale <- 2 * h_step * max(1, abs(x)) * max(1, abs(params$W2))
  if (scale > series_limit) {
    stop(errorCondition(sprintf(
      "inputs or weights too large for the series method (scale %.3g)", scale
    ), class = "series_range_error"))
  }
  a1 <- x %*% params$W1 + rep(params$b1, each = n)
  z1 <- sigmoid(a1)
  a2 <- z1 %*% params$W2 + rep(params$b2, each = n)
  p <- softmax(a2)
  k_out <- ncol(p)
  hidden <- loss_series(p, labels, params$W2, sigmoid_series(z1))
  first <- difference_quotient(hidden, cbind(x, 1), rbind(params$W1, params$b1))
  identity <- c(list(matrix(0, n, k_out), matrix(1, n, k_out)),
                rep(list(matrix(0, n, k_out)), series_degree - 1L))
  logits <- loss_series(p, labels, diag(k_out), identity)
  second <- difference_quotient(logits, cbind(z1, 1),
                                rbind(params$W2, params$b2))
  # The last row of each is the bias's, as its input is 1.
  list(W1 = first[-nrow(first), , drop = FALSE], b1 = first[nrow(first), ],
       W2 = second[-nrow(second), , drop = FALSE], b2 = second[nrow(second), ])
}
