# Argument checks of the book's functions, gradient and optimizer: one call at
# the top of each. Mirrors python/suite/function_checks.py.

# softmax's x: a double vector or matrix with at least one class (column).
check_logits <- function(x) {
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  if (shape_of(x)[length(shape_of(x))] == 0L) {
    input_abort("x must have at least one class (column), got shape (%s)",
                toString(shape_of(x)))
  }
  x
}

# cross_entropy_error's y and t: finite probabilities, and t's 0-based class
# codes (returned).
check_probabilities <- function(y, t) {
  y <- numeric_array(y, "y")
  require_ndim(y, "y")
  if (length(y) == 0L) {
    input_abort("y must hold at least one row and one class, got shape (%s)",
                toString(shape_of(y)))
  }
  require_all_finite(y, "y")
  if (any(y < 0)) {
    input_abort("y must hold probabilities (>= 0); got a negative value")
  }
  labels_of(t, y)
}

# mean_squared_error's y and t: finite arrays of the same shape (R would
# recycle a shorter t silently where numpy raises).
check_same_shape <- function(y, t) {
  y <- numeric_array(y, "y")
  t <- numeric_array(t, "t")
  if (!identical(as.integer(shape_of(y)), as.integer(shape_of(t)))) {
    input_abort("y and t must have the same shape, got (%s) and (%s)",
                toString(shape_of(y)), toString(shape_of(t)))
  }
  require_all_finite(y, "y")
  require_all_finite(t, "t")
  y
}

# f, refused unless a function, wrapped so that each value is one real number
# (finite if asked).
real_valued <- function(f, finite = FALSE) {
  if (!is.function(f)) {
    type_abort("f must be a function of x or a TwoLayerNet, got %s",
               class(f)[1L])
  }
  function(x) {
    value <- f(x)
    if (!is.numeric(value) || length(value) != 1L) {
      input_abort("f must return one real number, got %s", describe(value))
    }
    if (finite && !is.finite(value)) {
      input_abort("f is not finite at x = %s: f = %s",
                  format(x, digits = 17), value)
    }
    value
  }
}

# numerical_gradient's f (see real_valued) and x: a finite double array.
check_function_at <- function(f, x) {
  f <- real_valued(f)
  require_float(x)
  require_all_finite(x, "x")
  f
}

# numerical_diff's f (see real_valued; finite values) and x: one finite
# number.
check_function_of_number <- function(f, x) {
  f <- real_valued(f, finite = TRUE)
  if (!is.numeric(x) || length(x) != 1L || !is.null(dim(x))) {
    type_abort("x must be one real number, got %s", describe(x))
  }
  if (!is.finite(x)) {
    input_abort("x must be a finite number, got %s", x)
  }
  f
}

# gradient_descent's init_x (double), lr (> 0), step_num (>= 0) and history
# (TRUE or FALSE).
check_descent <- function(init_x, lr, step_num, history) {
  require_float(init_x, "init_x")
  require_positive(lr, "lr")
  require_count(step_num, "step_num", minimum = 0)
  if (!isTRUE(history) && !isFALSE(history)) {
    input_abort("history must be TRUE or FALSE, got %s", deparse(history)[1L])
  }
}

# Are params and grads lists with the same distinct keys, none empty?
same_keys <- function(params, grads) {
  keys <- names(params)
  is.list(params) && is.list(grads) && sum(nzchar(keys)) == length(params) &&
    !anyDuplicated(keys) && identical(sort(keys), sort(names(grads)))
}

# sgd_update's lr (> 0), params and grads: lists with the same keys, numeric
# arrays of the same shapes (R would recycle a mismatched gradient silently
# where numpy raises).
check_sgd <- function(params, grads, lr) {
  require_positive(lr, "lr")
  keys <- names(params)
  if (!same_keys(params, grads)) {
    input_abort("params [%s] and grads [%s] must be lists with the same keys",
                toString(sort(keys)), toString(sort(names(grads))))
  }
  for (key in keys) {
    p <- params[[key]]
    g <- grads[[key]]
    if (!is.numeric(p) || !is.numeric(g)) {
      type_abort("params$%s and grads$%s must be numeric, got %s and %s", key,
                 key, typeof(p), typeof(g))
    }
    if (!identical(dim(p), dim(g)) || length(p) != length(g)) {
      input_abort("%s: param shape (%s) != grad shape (%s)", key,
                  toString(shape_of(p)), toString(shape_of(g)))
    }
  }
}
