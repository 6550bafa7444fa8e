# Argument checks of TwoLayerNet: one call at the top of each function.
# Mirrors python/suite/net_checks.py.

# TwoLayerNet's layer widths (whole numbers >= 1) and weight_init_std (finite,
# >= 0).
check_net_sizes <- function(input_size, hidden_size, output_size,
                            weight_init_std) {
  require_count(input_size, "input_size")
  require_count(hidden_size, "hidden_size")
  require_count(output_size, "output_size")
  if (!is_real_scalar(weight_init_std) || !is.finite(weight_init_std) ||
        weight_init_std < 0) {
    input_abort("weight_init_std must be a finite number >= 0, got %s",
                deparse(weight_init_std)[1L])
  }
}

# params, a list with the names of shapes, each a double array of that shape;
# returned in shapes' order.
check_net_params <- function(params, shapes) {
  keys <- names(shapes)
  if (!is.list(params) || !setequal(names(params), keys) ||
        length(params) != length(keys)) {
    got <- if (is.list(params)) names(params) else typeof(params)
    input_abort("params must be a list with keys (%s), got (%s)",
                toString(keys), toString(got))
  }
  for (key in keys) {
    value <- params[[key]]
    if (!is.double(value)) {
      type_abort("params$%s must be double, got %s", key, typeof(value))
    }
    if (!has_shape(value, shapes[[key]])) {
      input_abort("params$%s must have shape (%s), got (%s)", key,
                  toString(shapes[[key]]), toString(shape_of(value)))
    }
  }
  params[keys]
}

# Does value have this shape: a matrix's dim, or a plain vector's length?
has_shape <- function(value, want) {
  if (length(want) == 2L) {
    return(identical(dim(value), want))
  }
  is.null(dim(value)) && length(value) == want
}

# The net's x, after its params: a finite sample (a plain vector) or batch of
# rows.
check_input <- function(x, params, shapes) {
  check_net_params(params, shapes)
  if (length(dim(x)) == 1L) dim(x) <- NULL
  n_in <- shapes$W1[1L]
  x <- numeric_array(x, "x")
  require_ndim(x, "x")
  if (shape_of(x)[length(shape_of(x))] != n_in) {
    input_abort("x must have %d columns, got shape (%s)", n_in,
                toString(shape_of(x)))
  }
  if (length(x) == 0L) {
    input_abort("x is an empty batch (shape (%s))", toString(shape_of(x)))
  }
  require_all_finite(x, "x")
  x
}

# The net's x and t, and the method of its numerical gradient: returns the
# 0-based class codes of x's rows.
check_batch <- function(x, t, params, shapes, method = "series") {
  x <- check_input(x, params, shapes)
  if (!is.character(method) || length(method) != 1L ||
        !method %in% c("series", "plain")) {
    input_abort("method must be 'series' or 'plain', got %s",
                deparse(method)[1L])
  }
  k <- shapes$W2[2L]
  labels_of(t, if (is.matrix(x)) matrix(0, nrow(x), k) else numeric(k))
}
