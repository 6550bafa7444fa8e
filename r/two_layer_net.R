# The book's two-layer net: affine - sigmoid - affine - softmax, with backprop
# and numerical gradients. Mirrors python/two_layer_net.py.

param_keys <- c("W1", "b1", "W2", "b2")

#' input_size -> hidden_size (sigmoid) -> output_size (softmax)
#'
#' With a seed, W1 then W2 are drawn row-major from rng(seed), so the weights
#' equal Python's TwoLayerNet(..., seed=seed) bit for bit; biases start at 0.
#'
#' @param input_size,hidden_size,output_size Layer widths.
#' @param weight_init_std Scale of the normal initial weights.
#' @param seed NULL (R's own rnorm) or a seed for rng().
#' @return A list of class "TwoLayerNet" with params (W1, b1, W2, b2) and
#'   shapes.
TwoLayerNet <- function( # nolint: object_name_linter.
    input_size, hidden_size, output_size, weight_init_std = 0.01, seed = NULL) {
  input_size <- require_count(input_size, "input_size")
  hidden_size <- require_count(hidden_size, "hidden_size")
  output_size <- require_count(output_size, "output_size")
  if (!is_real_scalar(weight_init_std) || !is.finite(weight_init_std) ||
        weight_init_std < 0) {
    dlfs_abort("input_error", sprintf(
      "weight_init_std must be a finite number >= 0, got %s",
      deparse(weight_init_std)[1L]
    ))
  }
  if (is.null(seed)) {
    draw <- stats::rnorm
  } else {
    gen <- rng(seed)
    draw <- function(n) normal(gen, n)
  }
  # numpy reshapes a flat draw row-major, hence byrow = TRUE.
  w1 <- matrix(weight_init_std * draw(input_size * hidden_size),
               nrow = input_size, byrow = TRUE)
  w2 <- matrix(weight_init_std * draw(hidden_size * output_size),
               nrow = hidden_size, byrow = TRUE)
  if (!all(is.finite(w1)) || !all(is.finite(w2))) {
    dlfs_abort("input_error", sprintf(
      "weight_init_std %s makes initial weights overflow doubles",
      deparse(weight_init_std)
    ))
  }
  shapes <- list(W1 = as.integer(c(input_size, hidden_size)),
                 b1 = as.integer(hidden_size),
                 W2 = as.integer(c(hidden_size, output_size)),
                 b2 = as.integer(output_size))
  net <- structure(list(params = NULL, shapes = shapes), class = "TwoLayerNet")
  set_params(net, list(W1 = w1, b1 = numeric(hidden_size),
                       W2 = w2, b2 = numeric(output_size)))
}

#' Replace all weights at once, after checking keys, shapes and type
#'
#' The counterpart of Python's params property setter; `net$params <- new`
#' goes through it too.
#'
#' @param net A TwoLayerNet.
#' @param params Named list W1, b1 (plain vector), W2, b2 (plain vector).
#' @return The net with the new params.
set_params <- function(net, params) {
  # [[<- has no TwoLayerNet method (only $<- has), so no unclass() needed.
  net[["params"]] <- checked_params(net, params)
  net
}

#' params, after checking its keys, and each array's type and shape
#'
#' @inheritParams set_params
#' @return params in param_keys' order.
checked_params <- function(net, params) {
  in_order <- check_param_keys(params)
  for (key in param_keys) {
    value <- params[[key]]
    want <- net$shapes[[key]]
    if (!is.double(value)) {
      dlfs_abort("input_type_error", sprintf("params$%s must be double, got %s",
                                             key, typeof(value)))
    }
    if (!has_shape(value, want)) {
      dlfs_abort("input_error", sprintf(
        "params$%s must have shape (%s), got (%s)", key, toString(want),
        toString(shape_of(value))
      ))
    }
  }
  if (in_order) params else params[param_keys]
}

#' Stop unless params is a list with exactly the keys W1, b1, W2, b2
#'
#' @param params Candidate params.
#' @return TRUE if they are in param_keys' order, FALSE if only reordered.
check_param_keys <- function(params) {
  # identical() first: the usual case skips setequal() and the reordering.
  if (is.list(params) && identical(names(params), param_keys)) return(TRUE)
  if (!is.list(params) || !setequal(names(params), param_keys) ||
        length(params) != length(param_keys)) {
    dlfs_abort("input_error", sprintf(
      "params must be a list with keys (%s), got (%s)", toString(param_keys),
      toString(if (is.list(params)) names(params) else typeof(params))
    ))
  }
  FALSE
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

#' @describeIn set_params Validating `net$params <- value`.
#' @param x A TwoLayerNet.
#' @param name Element name; only "params" may be replaced.
#' @param value The new element.
`$<-.TwoLayerNet` <- function(x, name, value) { # nolint: object_name_linter.
  if (!identical(name, "params")) {
    dlfs_abort("input_error",
               sprintf("only params can be replaced, not %s", name))
  }
  set_params(x, value)
}

#' x as a double batch (or one sample) with input_size columns, finite
#'
#' @param net A TwoLayerNet.
#' @param x Matrix (one sample per row) or vector (one sample).
#' @param finite Check that x is finite (FALSE: the caller checks it later,
#'   with require_finite()).
#' @param columns x is a matrix with one sample per column instead.
#' @return x as double, its shape unchanged.
check_input <- function(net, x, finite = TRUE, columns = FALSE) {
  if (length(dim(x)) == 1L) dim(x) <- NULL # a 1-d array is a plain vector
  n_in <- net$shapes$W1[1L]
  cols <- if (is.matrix(x)) ncol(x) else if (is.null(dim(x))) length(x)
  if (columns) cols <- if (is.matrix(x)) nrow(x)
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  if (is.null(cols) || cols != n_in) {
    dlfs_abort("input_error", sprintf(
      "x must have %d %s, got shape (%s)", n_in,
      if (columns) "rows" else "columns", toString(shape_of(x))
    ))
  }
  if (length(x) == 0L) {
    dlfs_abort("input_error", sprintf("x is an empty batch (shape (%s))",
                                      toString(shape_of(x))))
  }
  # One BLAS pass instead of is.finite()'s logical copy of a big batch.
  if (finite) require_finite(x, as_batch(x) %*% rep(1, n_in))
  x
}

#' Stop unless x is finite, which a product of x usually shows
#'
#' A NaN or an infinity in x makes every sum of products it enters
#' non-finite (x %*% W1 included: BLAS multiplies it by every weight, and
#' Inf * 0 is NaN), so only a witness that overflowed needs the elementwise
#' look at x.
#'
#' @param x The input.
#' @param witness Sums of products of x's elements, e.g. x %*% W1.
#' @return NULL, invisibly.
require_finite <- function(x, witness) {
  # The sum of the witness is non-finite if any element is (one pass, no
  # logical copy); only then does x get the elementwise look.
  if (!is.finite(sum(witness)) && !all(is.finite(x))) {
    dlfs_abort("input_error", "x contains NaN or infinite values")
  }
  invisible(NULL)
}

#' Matrix products straight to BLAS, as numpy does, until the caller returns
#'
#' R's default matprod first scans both operands for NaN and Inf (to switch
#' to a naive loop); at the net's sizes that scan costs more than the
#' product. The inputs are checked finite already, so this only removes the
#' scan; the option is restored when the calling function exits.
#'
#' @param envir The calling function's frame.
local_blas_matprod <- function(envir = parent.frame()) {
  old <- options(matprod = "blas")
  do.call(on.exit, list(substitute(options(old), list(old = old)),
                        add = TRUE), envir = envir)
}

# A vector sample as a one-row batch.
as_batch <- function(x) {
  if (is.matrix(x)) x else matrix(x, nrow = 1L)
}

#' Class probabilities for each row of x
#'
#' @param object A TwoLayerNet.
#' @param x Matrix (one sample per row) or vector (one sample).
#' @param params Weights to use (default: the net's own).
#' @param ... Unused.
#' @return Matrix of probabilities (a vector for a vector x).
predict.TwoLayerNet <- function(object, x, params = object$params, ...) {
  y <- forward(object, x, params)
  if (is.matrix(x)) y else y[1L, ]
}

#' Class probabilities of a batch, one row per sample
#'
#' With columns = TRUE, x holds one sample per column (t of the usual
#' batch): R stores matrices by column, so that is how a batch gathered from
#' images stored one per column comes, and BLAS multiplies either
#' orientation at the same cost; the transpose is saved.
#'
#' @inheritParams predict.TwoLayerNet
#' @param net A TwoLayerNet.
#' @param columns x holds one sample per column.
#' @return Matrix of probabilities, one row per sample.
forward <- function(net, x, params = net$params, columns = FALSE) {
  local_blas_matprod()
  params <- checked_params(net, params)
  x <- check_input(net, x, finite = FALSE, columns = columns)
  x2 <- if (columns) x else as_batch(x)
  # ones %o% b repeats the bias on every row, as BLAS's outer product with
  # ones (exact: 1 * b), faster than rep(b, each = n); adding it reuses the
  # product's storage.
  ones <- rep(1, if (columns) ncol(x2) else nrow(x2))
  a1 <- if (columns) crossprod(x2, params$W1) else x2 %*% params$W1
  require_finite(x, a1)
  a1 <- a1 + tcrossprod(ones, params$b1)
  a2 <- sigmoid(a1) %*% params$W2 + tcrossprod(ones, params$b2)
  require_no_nan(softmax(a2), x, params)
}

#' y, the probabilities, unless a NaN shows the weights or x W overflowed
#'
#' @param y Probabilities.
#' @param x The (finite) input.
#' @param p The weights.
#' @return y, or a dlfs_numerical_error naming the cause.
require_no_nan <- function(y, x, p) {
  # Probabilities sum to at most the row count: only a NaN makes the sum
  # non-finite.
  if (is.finite(sum(y))) return(y)
  bad <- param_keys[!vapply(p[param_keys], function(w) all(is.finite(w)),
                            logical(1L))]
  where <- if (length(bad)) {
    sprintf("params %s contain NaN or infinite values", toString(bad))
  } else {
    sprintf(paste("x %%*%% W1 or sigmoid(.) %%*%% W2 overflows doubles",
                  "(max |x| %.3g, max |W1| %.3g, max |W2| %.3g)"),
            max(abs(x)), max(abs(p$W1)), max(abs(p$W2)))
  }
  dlfs_abort("numerical_error", paste("the predictions are NaN:", where))
}

#' Cross-entropy error of the predictions
#'
#' @inheritParams predict.TwoLayerNet
#' @param net A TwoLayerNet.
#' @param t One-hot rows or 0-based class codes.
#' @return The loss.
loss <- function(net, x, t, params = net$params) {
  y <- predict(net, x, params)
  cross_entropy_of_labels(y, labels_of(t, y))
}

#' Share of rows whose most probable class (first on ties) is the true one
#'
#' @inheritParams loss
#' @return A double in 0..1.
accuracy <- function(net, x, t) {
  y <- predict(net, x)
  y2 <- as_batch(y)
  labels <- labels_of(t, y)
  # ties.method = "first" is np.argmax's rule.
  sum(max.col(y2, ties.method = "first") - 1L == labels) / nrow(y2)
}

#' @describeIn numerical_gradient Central-difference gradient of a net's loss
#'   for each weight array: "series" (all weights at once, fast_gradient.R)
#'   or "plain" (one by one, the definition).
#' @param t One-hot rows or 0-based class codes.
#' @param method "series" or "plain".
numerical_gradient.TwoLayerNet <- function( # nolint: object_name_linter.
    f, x, t, method = "series", ...) {
  net <- f
  x <- check_input(net, x)
  if (!is.character(method) || length(method) != 1L ||
        !method %in% c("series", "plain")) {
    dlfs_abort("input_error", sprintf(
      "method must be 'series' or 'plain', got %s", deparse(method)[1L]
    ))
  }
  if (method == "series") {
    # labels_of reads only y's shape: (n, K), or (K) for one sample.
    k <- net$shapes$W2[2L]
    y_like <- if (is.matrix(x)) matrix(0, nrow(x), k) else numeric(k)
    labels <- labels_of(t, y_like)
    grads <- tryCatch(
      series_numerical_gradient(net$params, as_batch(x), labels),
      # Steps too large for the series: fall back to the definition.
      series_range_error = function(e) NULL
    )
    if (!is.null(grads) && all(vapply(grads, function(g) all(is.finite(g)),
                                      logical(1L)))) {
      return(grads)
    }
    # NaN predictions signal the numerical error naming the cause; anything
    # else non-finite goes to the plain definition.
    if (!is.null(grads)) predict(net, x)
  }
  trial <- net$params
  loss_at <- function(key, w) {
    # The loss reads the params it is given, which include the perturbed w.
    p <- trial
    p[[key]] <- w
    loss(net, x, t, p)
  }
  grads <- lapply(param_keys, function(key) { # the plain definition
    numerical_gradient(function(w) loss_at(key, w), trial[[key]])
  })
  names(grads) <- param_keys
  grads
}

#' Backprop gradient of the loss (without the 1e-7 guard) for each weight
#'
#' @inheritParams loss
#' @return Named list W1, b1, W2, b2.
gradient <- function(net, x, t) {
  backprop(net, x, t, columns = FALSE)
}

#' gradient() and loss() of a batch given one sample per column
#'
#' For training, which gathers its batches from images stored one per
#' column (see forward()).
#'
#' @inheritParams loss
#' @param xt The batch, one sample per column (t(x)).
#' @return gradient_columns: as gradient(); loss_columns: as loss().
gradient_columns <- function(net, xt, t) {
  backprop(net, xt, t, columns = TRUE)
}

#' @describeIn gradient_columns The loss.
loss_columns <- function(net, xt, t) {
  cross_entropy_error(forward(net, xt, columns = TRUE), t)
}

#' gradient(), of x with one sample per row, or per column if columns
#'
#' @inheritParams forward
#' @param t One-hot rows or 0-based class codes.
#' @return Named list W1, b1, W2, b2.
backprop <- function(net, x, t, columns) {
  local_blas_matprod()
  p <- net$params
  x <- check_input(net, x, finite = FALSE, columns = columns)
  x2 <- if (columns) x else as_batch(x)
  batch_num <- if (columns) ncol(x2) else nrow(x2)
  ones <- rep(1, batch_num) # bias rows as in forward()
  a1 <- if (columns) crossprod(x2, p$W1) else x2 %*% p$W1
  require_finite(x, a1)
  a1 <- a1 + tcrossprod(ones, p$b1)
  # sigmoid(a1) and sigmoid(-a1) are sigmoid(|a1|) and sigmoid(-|a1|),
  # swapped by the sign of a1: one exp gives both, with sigmoid's bits.
  halves <- sigmoid_halves(a1)
  z1 <- halves$value
  a2 <- z1 %*% p$W2 + tcrossprod(ones, p$b2)
  y <- require_no_nan(softmax(a2), x, p)
  labels <- labels_of(t, if (is.matrix(x)) y else y[1L, ])
  dy <- y
  # Linear indices of (row b, column labels[b] + 1): cheaper than cbind().
  true_class <- seq_len(batch_num) + labels * batch_num
  dy[true_class] <- dy[true_class] - 1 # y - t for one-hot t
  dy <- dy / batch_num
  grad_w2 <- crossprod(z1, dy)
  # .colSums: colSums without its argument checks (the same sums).
  grad_b2 <- .colSums(dy, batch_num, ncol(dy))
  da1 <- tcrossprod(dy, p$W2)
  # sigmoid_grad(a1) = sigmoid(a1) * sigmoid(-a1) = upper * lower whatever
  # the sign of a1 (at a1 = 0 both are 0.5): the same bits.
  dz1 <- halves$upper * halves$lower * da1
  # t(dz1) for the one-sample-per-column batch: x2 %*% dz1 is slower in R's
  # OpenBLAS at these sizes (measured).
  grad_w1 <- if (columns) tcrossprod(x2, t(dz1)) else crossprod(x2, dz1)
  grad_b1 <- .colSums(dz1, batch_num, ncol(dz1))
  list(W1 = grad_w1, b1 = grad_b1, W2 = grad_w2, b2 = grad_b2)
}
