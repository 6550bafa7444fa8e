# The book's two-layer net (ch04/two_layer_net.py): affine - sigmoid -
# affine - softmax. Mirrors python/two_layer_net.py.

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
  check_net_sizes(input_size, hidden_size, output_size, weight_init_std)
  gen <- if (!is.null(seed)) rng(seed)
  randn <- function(n) if (is.null(seed)) stats::rnorm(n) else normal(gen, n)
  # numpy reshapes a flat draw row-major, hence byrow = TRUE.
  params <- list(
    W1 = matrix(weight_init_std * randn(input_size * hidden_size),
                nrow = input_size, byrow = TRUE),
    b1 = numeric(hidden_size),
    W2 = matrix(weight_init_std * randn(hidden_size * output_size),
                nrow = hidden_size, byrow = TRUE),
    b2 = numeric(output_size)
  )
  if (!all(is.finite(unlist(params)))) {
    input_abort("weight_init_std %s makes initial weights overflow doubles",
                deparse(weight_init_std))
  }
  shapes <- lapply(params, shape_of)
  net <- structure(list(params = NULL, shapes = shapes), class = "TwoLayerNet")
  set_params(net, params)
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
  # [[<- has no TwoLayerNet method (only $<- has).
  net[["params"]] <- check_net_params(params, net$shapes)
  net
}

#' @describeIn set_params Validating `net$params <- value`.
#' @param x A TwoLayerNet.
#' @param name Element name; only "params" may be replaced.
#' @param value The new element.
`$<-.TwoLayerNet` <- function(x, name, value) { # nolint: object_name_linter.
  if (!identical(name, "params")) {
    input_abort("only params can be replaced, not %s", name)
  }
  set_params(x, value)
}

#' Class probabilities for each row of x
#'
#' @param object A TwoLayerNet.
#' @param x Matrix (one sample per row) or vector (one sample).
#' @param params Weights to use (default: the net's own), checked.
#' @param ... Unused.
#' @return Matrix of probabilities (a vector for a vector x).
predict.TwoLayerNet <- function(object, x, params = object$params, ...) {
  x <- check_input(x, params, object$shapes)
  x2 <- if (is.matrix(x)) x else matrix(x, nrow = 1L) # a sample is one row
  n <- nrow(x2) # rep(b, each = n): the bias on every row
  a1 <- x2 %*% params$W1 + rep(params$b1, each = n)
  z1 <- sigmoid(a1)
  a2 <- z1 %*% params$W2 + rep(params$b2, each = n)
  y <- require_finite_forward(a1, softmax(a2), x, params)
  if (is.matrix(x)) y else y[1L, ]
}

#' Loss of a net: the cross-entropy of its predictions (an S3 generic)
#'
#' @param net A TwoLayerNet (the default method) or a SimpleNet.
#' @param ... x, t and the method's own arguments.
#' @return The loss.
loss <- function(net, ...) {
  UseMethod("loss")
}

#' Cross-entropy error of a TwoLayerNet's predictions
#'
#' The default method: any object but a SimpleNet comes here, and predict()
#' refuses what is not a net.
#'
#' @inheritParams predict.TwoLayerNet
#' @param net A TwoLayerNet.
#' @param t One-hot rows or 0-based class codes.
#' @return The loss.
loss.default <- function(net, x, t, params = net$params) { # nolint
  y <- predict(net, x, params)
  cross_entropy_error(y, t)
}

#' Share of rows whose most probable class (first on ties) is the true one
#'
#' @inheritParams loss
#' @return A double in 0..1.
accuracy <- function(net, x, t) {
  t <- check_batch(x, t, net$params, net$shapes) # class codes of x's rows
  if (!is.matrix(x)) x <- matrix(x, nrow = 1L) # a sample is one row
  y <- predict(net, x)
  y <- max.col(y, ties.method = "first") - 1L # np.argmax's rule
  sum(y == t) / nrow(x)
}

#' @describeIn numerical_gradient Central-difference gradient of a net's loss
#'   for each weight array: "series" (all weights at once, fast_gradient.R)
#'   or "plain" (one by one, the definition).
#' @param t One-hot rows or 0-based class codes.
#' @param method "series" or "plain".
numerical_gradient.TwoLayerNet <- function( # nolint: object_name_linter.
    f, x, t, method = "series", ...) {
  net <- f
  t <- check_batch(x, t, net$params, net$shapes, method)
  if (!is.matrix(x)) x <- matrix(x, nrow = 1L)
  if (method == "series") {
    grads <- tryCatch(
      series_numerical_gradient(net$params, x, t),
      # Steps too large for the series: the definition below.
      series_range_error = function(e) NULL
    )
    if (!is.null(grads) && all(is.finite(unlist(grads)))) return(grads)
    # NaN predictions signal the numerical error naming the cause.
    if (!is.null(grads)) predict(net, x)
  }
  # The definition, as the book's: each weight in turn. The loss reads the
  # params it is given, which hold the perturbed w.
  params <- net$params
  lapply(stats::setNames(nm = param_keys), function(key) {
    numerical_gradient(function(w) {
      params[[key]] <- w
      loss(net, x, t, params)
    }, params[[key]])
  })
}

#' Backprop gradient of the loss (without the 1e-7 guard) for each weight
#'
#' @inheritParams loss
#' @return Named list W1, b1, W2, b2.
gradient <- function(net, x, t) {
  t <- check_batch(x, t, net$params, net$shapes) # class codes of x's rows
  if (!is.matrix(x)) x <- matrix(x, nrow = 1L) # a sample is one row
  params <- net$params
  grads <- list()
  batch_num <- nrow(x)

  # forward
  a1 <- x %*% params$W1 + rep(params$b1, each = batch_num)
  z1 <- sigmoid(a1)
  a2 <- z1 %*% params$W2 + rep(params$b2, each = batch_num)
  y <- require_finite_forward(a1, softmax(a2), x, params)

  # backward
  dy <- y
  true_class <- cbind(seq_len(batch_num), t + 1L)
  dy[true_class] <- dy[true_class] - 1 # y - t for one-hot t
  dy <- dy / batch_num
  grads$W2 <- crossprod(z1, dy) # z1 transposed times dy
  grads$b2 <- colSums(dy)

  da1 <- tcrossprod(dy, params$W2) # dy times W2 transposed
  dz1 <- sigmoid_grad(a1) * da1
  grads$W1 <- crossprod(x, dz1)
  grads$b1 <- colSums(dz1)
  grads[param_keys]
}

#' y, the probabilities, unless a NaN shows the weights or x W overflowed
#'
#' @param y Probabilities.
#' @param x The (finite) input.
#' @param params The weights.
#' @return y, or a dlfs_numerical_error naming the cause.
require_finite_forward <- function(a1, y, x, params) {
  # Probabilities sum to at most the row count: only a NaN makes their sum
  # non-finite. An infinite a1 is right where the exact x %*% W1 lies beyond
  # doubles (sigmoid is then 0 or 1), and wrong where it comes from Inf - Inf
  # inside the product (some BLAS kernels give Inf there, others NaN): the
  # product of x scaled by 2^-600, which cannot overflow, tells them apart.
  # The sums look first: an elementwise look at a1 cost 8% of a training run.
  if (is.finite(sum(a1)) && is.finite(sum(y))) return(y)
  inf <- is.infinite(a1)
  spurious <- any(inf) && any(abs((x * 2^-600) %*% params$W1)[inf] < 2^424)
  if (!spurious && is.finite(sum(y))) return(y)
  bad <- Filter(function(key) !all(is.finite(params[[key]])), param_keys)
  where <- if (length(bad)) {
    sprintf("params %s contain NaN or infinite values", toString(bad))
  } else {
    sprintf(paste("x %%*%% W1 or sigmoid(.) %%*%% W2 overflows doubles",
                  "(max |x| %.3g, max |W1| %.3g, max |W2| %.3g)"),
            max(abs(x)), max(abs(params$W1)), max(abs(params$W2)))
  }
  dlfs_abort("numerical_error",
             paste("the predictions are NaN or meaningless:", where))
}
