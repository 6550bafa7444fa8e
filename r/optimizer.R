# Stochastic gradient descent update. Mirrors python/optimizer.py.

#' New parameters p - lr * g for every key; the inputs are not modified
#'
#' @param params Named list of double arrays.
#' @param grads Named list with the same names and shapes.
#' @param lr Learning rate.
#' @return A new named list in params' key order.
sgd_update <- function(params, grads, lr = 0.01) {
  lr <- require_positive(lr, "lr")
  check_matching(params, grads)
  # Assigning into the copy replaces its elements; params itself is intact.
  out <- params
  for (key in names(params)) {
    out[[key]] <- params[[key]] - lr * grads[[key]]
  }
  out
}

#' Are params and grads lists with the same distinct keys?
#'
#' @inheritParams sgd_update
#' @return TRUE or FALSE.
same_keys <- function(params, grads) {
  keys <- names(params)
  # Every element named (none "" or missing), distinct, equal sorted names.
  is.list(params) && is.list(grads) && sum(nzchar(keys)) == length(params) &&
    !anyDuplicated(keys) && identical(sort(keys), sort(names(grads)))
}

#' Stop unless params and grads have the same keys and shapes
#'
#' Shapes compare dim and length: R would recycle a mismatched gradient
#' silently where numpy raises.
#'
#' @inheritParams sgd_update
#' @return NULL, invisibly.
check_matching <- function(params, grads) {
  keys <- names(params)
  if (!same_keys(params, grads)) {
    dlfs_abort("input_error", sprintf(
      "params [%s] and grads [%s] must be lists with the same keys",
      toString(sort(keys)), toString(sort(names(grads)))
    ))
  }
  for (key in keys) {
    p <- params[[key]]
    g <- grads[[key]]
    if (!is.numeric(p) || !is.numeric(g)) {
      dlfs_abort("input_type_error", sprintf(
        "params$%s and grads$%s must be numeric, got %s and %s", key, key,
        typeof(p), typeof(g)
      ))
    }
    if (!identical(dim(p), dim(g)) || length(p) != length(g)) {
      dlfs_abort("input_error", sprintf(
        "%s: param shape (%s) != grad shape (%s)", key,
        toString(shape_of(p)), toString(shape_of(g))
      ))
    }
  }
  invisible(NULL)
}
