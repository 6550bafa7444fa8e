# Numerical gradient by central differences, and gradient descent (the book's
# common/gradient.py). Mirrors python/gradient.py.

# The book's step: small enough for the truncation error, large enough for
# rounding.
h_step <- 1e-4

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
#' caller's x is unchanged afterwards, even if f fails, with no restore step
#' (the Python version restores its array in a finally block).
numerical_gradient.default <- function(f, x, ...) {
  if (!is.function(f)) {
    dlfs_abort("input_type_error", sprintf(
      "f must be a function of x or a TwoLayerNet, got %s", class(f)[1L]
    ))
  }
  require_float(x)
  if (!all(is.finite(x))) {
    dlfs_abort("input_error", "x contains NaN or infinite values")
  }
  grad <- x
  grad[] <- 0
  # Each partial derivative is independent, so visiting elements in R's
  # column-major order gives the same values as numpy's row-major order.
  for (i in seq_along(x)) {
    saved <- x[i]
    x[i] <- saved + h_step
    f_plus <- scalar_of(f(x))
    x[i] <- saved - h_step
    f_minus <- scalar_of(f(x))
    x[i] <- saved
    if (!is.finite(f_plus) || !is.finite(f_minus)) {
      dlfs_abort("input_error", sprintf(
        "f is not finite at x[%d] +- h: f = %s, %s", i, f_plus, f_minus
      ))
    }
    grad[i] <- (f_plus - f_minus) / (2 * h_step)
  }
  grad
}

#' f's value, refusing anything but one real number
#'
#' @param value What f returned.
#' @return value.
scalar_of <- function(value) {
  if (!is.numeric(value) || length(value) != 1L) {
    dlfs_abort("input_error", sprintf("f must return one real number, got %s",
                                      describe(value)))
  }
  value
}

#' Gradient descent with numerical gradients
#'
#' @param f A function of x returning a number.
#' @param init_x Starting point (double); left untouched.
#' @param lr Learning rate.
#' @param step_num Number of steps x <- x - lr * grad f(x).
#' @return The final x.
gradient_descent <- function(f, init_x, lr = 0.01, step_num = 100) {
  require_float(init_x, "init_x")
  lr <- require_positive(lr, "lr")
  step_num <- require_count(step_num, "step_num", minimum = 0)
  x <- init_x
  for (step in seq_len(step_num)) {
    x <- x - lr * numerical_gradient(f, x)
  }
  x
}
