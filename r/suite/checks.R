# Argument checks shared by the public functions: each failure signals a
# dlfs_input_error naming the argument. Mirrors python/suite/checks.py.

# A short description of a value for an error message: type and shape.
describe <- function(x) {
  sprintf("%s (%s)", typeof(x), toString(shape_of(x)))
}

# Shape of an array as numpy reports it: dim, or the length of a plain vector.
shape_of <- function(a) {
  if (is.null(dim(a))) length(a) else dim(a)
}

# x as a double array; logical, complex, character, lists and NULL are
# refused, as R would coerce some of them silently.
numeric_array <- function(x, name) {
  if (!is.numeric(x)) {
    type_abort("%s must be numeric, got %s", name, describe(x))
  }
  # Only integers need converting: storage.mode<- on a double array returns
  # it wrapped (an ALTREP wrapper), through which is.finite() and %*% ran
  # 2-3 times slower (0.73 against 0.22 ms for a batch times W1).
  if (!is.double(x)) storage.mode(x) <- "double"
  x
}

# Refuse an array that is not a vector or a matrix (e.g. 3-D).
require_ndim <- function(x, name) {
  ndim <- length(shape_of(x))
  if (!ndim %in% 1:2) {
    input_abort("%s must have 1 or 2 dimensions, got %d (shape %s)", name,
                ndim, toString(dim(x)))
  }
}

# Refuse NaN, NA and infinities.
require_all_finite <- function(x, name) {
  if (!all(is.finite(x))) {
    input_abort("%s contains NaN or infinite values", name)
  }
}

# Is value one real number (not logical, not NA)?
is_real_scalar <- function(value) {
  is.numeric(value) && length(value) == 1L && !is.na(value)
}

# A finite number > 0 (a learning rate), as a double.
require_positive <- function(value, name) {
  if (!is_real_scalar(value) || !is.finite(value) || value <= 0) {
    input_abort("%s must be a finite number > 0, got %s", name,
                deparse(value)[1L])
  }
  as.double(value)
}

# A whole number >= minimum (a size or a number of steps), as a double: R's
# integers stop at 2^31 - 1.
require_count <- function(value, name, minimum = 1) {
  if (!is_real_scalar(value) || !is.finite(value) || value != round(value) ||
        value < minimum) {
    input_abort("%s must be a whole number >= %d, got %s", name, minimum,
                deparse(value)[1L])
  }
  as.double(value)
}

# Refuse a non-double array: x + h on integers would give a wrong gradient.
require_float <- function(x, name = "x") {
  if (!is.double(x)) {
    type_abort(paste("%s must be a double vector or matrix (x + h on",
                     "integers is wrong), got %s"), name, typeof(x))
  }
}

# Class codes 0..K-1 of t (one-hot rows, or integer codes as Python requires
# an integer dtype), checked against y. Index R arrays with `labels + 1L`.
labels_of <- function(t, y) {
  y_shape <- shape_of(y)
  k <- y_shape[length(y_shape)]
  if (!is.numeric(t)) {
    type_abort("t must be integer labels or one-hot rows, got %s", describe(t))
  }
  if (identical(as.integer(shape_of(t)), as.integer(y_shape))) {
    require_one_hot(t)
    # ties.method = "first" is np.argmax's rule.
    return(max.col(matrix(t, ncol = k), ties.method = "first") - 1L)
  }
  check_codes(t, y_shape)
}

# t itself if it holds integer codes for predictions of shape y_shape.
check_codes <- function(t, y_shape) {
  k <- y_shape[length(y_shape)]
  codes_shape <- if (length(y_shape) > 1) y_shape[-length(y_shape)] else 1L
  if (!is.integer(t) || length(dim(t)) > 1 || length(t) != prod(codes_shape)) {
    input_abort(paste("t must be one-hot of shape (%s) or integer labels of",
                      "shape (%s), got %s (%s)"), toString(y_shape),
                toString(codes_shape), typeof(t), toString(shape_of(t)))
  }
  if (anyNA(t)) {
    input_abort("labels t contain NA")
  }
  if (length(t) && (min(t) < 0 || max(t) >= k)) {
    input_abort("labels t must lie in 0..%d, got %s..%s", k - 1L, min(t),
                max(t))
  }
  t
}

# Refuse a t of y's shape whose rows are not one 1 among 0s: argmax would
# pick a class anyway, and the loss would be silently wrong.
require_one_hot <- function(t) {
  rows <- matrix(t, ncol = shape_of(t)[length(shape_of(t))])
  if (anyNA(t) || any(t != 0 & t != 1) || any(rowSums(rows == 1) != 1)) {
    input_abort(paste("t has the shape of y, so each row must be one-hot (a",
                      "single 1, zeros elsewhere); pass integer labels",
                      "otherwise"))
  }
}
