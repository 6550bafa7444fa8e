# Stochastic gradient descent update (the book's common/optimizer.py SGD,
# without the in-place update). Mirrors python/optimizer.py.

#' New parameters p - lr * g for every key; the inputs are not modified
#'
#' @param params Named list of double arrays.
#' @param grads Named list with the same names and shapes.
#' @param lr Learning rate.
#' @return A new named list in params' key order.
sgd_update <- function(params, grads, lr = 0.01) {
  check_sgd(params, grads, lr)
  # Value semantics: params is this function's copy; the caller's is intact.
  for (key in names(params)) {
    params[[key]] <- params[[key]] - lr * grads[[key]]
  }
  params
}
