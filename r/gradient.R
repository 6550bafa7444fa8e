# Numerical differentiation and gradient descent (the book's
# ch04/gradient_1d.py, common/gradient.py). Mirrors python/gradient.py.

# The book's step: small enough for the truncation error, large enough for
# rounding.
h_step <- 1e-4

#' The central difference of a function of one number, at x (book 4.3)
#'
#' @param f A function of one number returning one number.
#' @param x A finite number.
#' @return (f(x + h) - f(x - h)) / 2h.
numerical_diff <- function(f, x) {
  f <- check_function_of_number(f, x) # f's values: finite real numbers
  (f(x + h_step) - f(x - h_step)) / (2 * h_step)
}

#' Central-difference gradient
#'
#' A generic: the default method differentiates a function f at x;
#' `numerical_gradient.TwoLayerNet` (two_layer_net.R) differentiates a net's
#' loss, mirroring the Python method of the same name.
#'
#' @param f A function of x returning a number, or a TwoLayerNet.
#' @param x Point (double vector or matrix), or the input batch for a net.
#' @param ... Passed to methods (t for a net).
#' @return The gradient, same shape as x (a named list for a net).
numerical_gradient <- function(f, x, ...) {
  UseMethod("numerical_gradient")
}

#' @describeIn numerical_gradient Gradient of a function f at x.
#'
#' x is perturbed in this function's own copy: R's copy-on-modify means the
#' caller's x is unchanged afterwards, even if f fails (the Python version
#' restores its array in a finally block).
numerical_gradient.default <- function(f, x, ...) {
  f <- check_function_at(f, x) # f's values: one real number each
  grad <- x
  grad[] <- 0 # zeros shaped like x
  # Each partial derivative is independent, so visiting elements in R's
  # column-major order gives the same values as numpy's row-major order.
  for (idx in seq_along(x)) {
    tmp_val <- x[idx]
    x[idx] <- tmp_val + h_step
    fxh1 <- f(x) # f at x + h
    x[idx] <- tmp_val - h_step
    fxh2 <- f(x) # f at x - h
    x[idx] <- tmp_val # restore the value
    if (!is.finite(fxh1) || !is.finite(fxh2)) {
      input_abort("f is not finite at x[%d] +- h: f = %s, %s", idx, fxh1,
                  fxh2)
    }
    grad[idx] <- (fxh1 - fxh2) / (2 * h_step)
  }
  grad
}

#' Gradient descent with numerical gradients
#'
#' history has step_num rows: x before each step, starting with init_x, as
#' in the book's ch04/gradient_method.py (a matrix x as a row in R's
#' column-major order).
#'
#' @param f A function of x returning a number.
#' @param init_x Starting point (double); left untouched.
#' @param lr Learning rate.
#' @param step_num Number of steps x <- x - lr * grad f(x).
#' @param history Return the path too.
#' @return The final x, or list(x = , history = ) with history.
gradient_descent <- function(f, init_x, lr = 0.01, step_num = 100,
                             history = FALSE) {
  check_descent(init_x, lr, step_num, history)
  x <- init_x
  x_history <- matrix(0, step_num, length(x))
  for (i in seq_len(step_num)) {
    x_history[i, ] <- x
    grad <- numerical_gradient(f, x)
    x <- x - lr * grad
  }
  if (history) list(x = x, history = x_history) else x
}
