# The book's simpleNet (ch04/gradient_simplenet.py): x (2 inputs) -> x W ->
# softmax -> cross-entropy. Mirrors python/simple_net.py.

w_shape <- c(2L, 3L)

#' One 2x3 weight matrix W, the net whose loss gradient the book computes
#' numerically (section 4.4.2)
#'
#' @param seed NULL (R's own rnorm) or a seed for rng(): W is then drawn
#'   row-major, equal to Python's SimpleNet(seed) bit for bit.
#' @return A list of class "SimpleNet" holding W; `net$W <- value` checks
#'   the new weights.
SimpleNet <- function(seed = NULL) { # nolint: object_name_linter.
  draw <- if (is.null(seed)) stats::rnorm else function(n) normal(rng(seed), n)
  # numpy reshapes a flat draw row-major, hence byrow = TRUE.
  w <- matrix(draw(prod(w_shape)), nrow = w_shape[1L], byrow = TRUE)
  structure(list(W = checked_w(w)), class = "SimpleNet")
}

#' @describeIn SimpleNet Validating `net$W <- value`.
#' @param x A SimpleNet.
#' @param name Element name; only "W" may be replaced.
#' @param value The new weights, a 2x3 double matrix.
`$<-.SimpleNet` <- function(x, name, value) { # nolint: object_name_linter.
  if (!identical(name, "W")) {
    input_abort("only W can be replaced, not %s", name)
  }
  x[["W"]] <- checked_w(value)
  x
}

#' x W: one score per class
#'
#' @param object A SimpleNet.
#' @param x One sample (a vector of 2) or a batch (a matrix with 2 columns).
#' @param ... Unused.
#' @return The scores: a vector of 3 for one sample, else a matrix.
predict.SimpleNet <- function(object, x, ...) {
  x <- check_simple_input(x, object$W)
  scores(x, object$W)
}

# loss() is the generic of r/two_layer_net.R, whose default method is the
# TwoLayerNet's.

#' Cross-entropy of softmax(x W)
#'
#' With W given, that matrix is used instead of net$W, so that
#' numerical_gradient(function(W) loss(net, x, t, W), net$W) perturbs the
#' weights the loss reads (R passes values, not references).
#'
#' @param net A SimpleNet.
#' @param x One sample (a vector of 2) or a batch (a matrix with 2 columns).
#' @param t One-hot rows or 0-based class codes.
#' @param W Weights to use instead of net$W (NULL: the net's own).
#' @param ... Unused.
#' @return The loss.
loss.SimpleNet <- function(net, x, t, W = NULL, ...) { # nolint
  w <- if (is.null(W)) net$W else W
  x <- check_simple_input(x, w) # x: 2 or (n, 2); w: double 2x3; both finite
  z <- scores(x, w)
  y <- softmax(z)
  cross_entropy_error(y, t)
}

# np.dot(x, W): a vector for one sample (a vector x), a matrix for a batch.
scores <- function(x, w) {
  if (is.matrix(x)) x %*% w else drop(x %*% w)
}

#' w itself if a finite 2x3 double matrix
#'
#' @param w Candidate weights.
#' @return w.
checked_w <- function(w) {
  require_float(w, "W")
  if (!identical(dim(w), w_shape)) {
    input_abort("W must have shape (2, 3), got (%s)", toString(shape_of(w)))
  }
  require_all_finite(w, "W")
  w
}

#' x as double, one sample (2) or a batch (n, 2), finite, after checking w
#'
#' @param x Candidate input.
#' @param w The weights the input meets (checked_w()).
#' @return x as double.
check_simple_input <- function(x, w) {
  checked_w(w)
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  shape <- shape_of(x)
  if (shape[length(shape)] != w_shape[1L]) {
    input_abort("x must have 2 features (last axis), got shape (%s)",
                toString(shape))
  }
  require_all_finite(x, "x")
  x
}
