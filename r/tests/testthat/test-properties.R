# Every public function over generated shapes, types and values: a result
# that passes the function's properties (within the tolerance policy) or the
# project's clear error (a dlfs_error of the class the input calls for);
# never another error, a warning or a silent NaN. Inputs come from the
# project's own generator, rng(seed), in a fixed loop: the same every run.
# Counts go to build/robustness/properties_r.json (the README table). The
# inputs that showed defects are kept as contract tests at the end.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
policy <- load_policy()
f2 <- test_functions$function_2
type_error <- "dlfs_input_type_error"
input_error <- "dlfs_input_error"
numerical_error <- "dlfs_numerical_error"
# In a list of problems: a value is acceptable too (the other problems may
# or may not come).
or_value <- "value"
# Per function: tried, valid, clear_errors, other_failures; and the failures.
tally <- new.env()
failures <- new.env()

# ------------------------------------------------------------------ inputs

#' A whole number in lo..hi from the generator
draw_int <- function(gen, lo, hi) {
  lo + integers(gen, hi - lo + 1, 1L)
}

#' One of the choices (a list or a vector)
pick <- function(gen, choices) {
  choices[[draw_int(gen, 1, length(choices))]]
}

#' TRUE with probability p
chance <- function(gen, p) {
  uniform(gen, 1L) < p
}

specials <- c(NaN, NA, Inf, -Inf, -0, 0, 5e-324, 1e-310,
              2.2250738585072014e-308, 1e308, -1e308, .Machine$double.xmax)

#' n doubles: normals scaled by 10^-3..10^3, the band -750..-700 where
#' sigmoid's results are subnormal, and special values (those within reach
#' and, if nonfinite, NaN and Inf)
draw_doubles <- function(gen, n, reach = Inf, nonfinite = TRUE) {
  v <- normal(gen, n) * 10^(integers(gen, 7L, n) - 3)
  band <- uniform(gen, n) < 0.1
  v[band] <- -700 - 50 * uniform(gen, sum(band))
  pool <- specials[(is.finite(specials) & abs(specials) <= reach) |
                     (nonfinite & !is.finite(specials))]
  special <- uniform(gen, n) < 0.25
  v[special] <- pool[integers(gen, length(pool), sum(special)) + 1L]
  v
}

#' Extents of a rank-0..3 array (rank 0: an R scalar, no dim)
draw_shape <- function(gen, ranks = 0:3, min_side = 0, max_side = 5) {
  rank <- pick(gen, ranks)
  if (rank == 0) return(integer(0))
  as.integer(min_side + integers(gen, max_side - min_side + 1, rank))
}

#' values in the given shape: a scalar, a plain vector or 1-d array, a
#' matrix or a 3-d array
shaped <- function(gen, values, shape) {
  if (length(shape) == 0L) return(values[1L])
  if (length(shape) == 1L) {
    return(if (chance(gen, 0.8)) values else array(values, shape))
  }
  if (length(shape) == 2L) return(matrix(values, shape[1L], shape[2L]))
  array(values, shape)
}

#' An array of a drawn type (double mostly; integer, logical, character) and
#' shape, or now and then NULL, a list, a complex number or a factor
draw_array <- function(gen, shape = draw_shape(gen), kind = NULL,
                       reach = Inf) {
  n <- max(prod(shape), length(shape) == 0L)
  if (is.null(kind)) {
    kind <- pick(gen, c(rep("double", 5), "integer", "logical", "character",
                        "other"))
  }
  switch(kind,
    double = shaped(gen, draw_doubles(gen, n, reach), shape),
    integer = shaped(gen, integers(gen, 2001, n) - 1000L, shape),
    logical = shaped(gen, uniform(gen, n) < 0.5, shape),
    character = shaped(gen, rep("1", n), shape),
    pick(gen, list(NULL, list(1, 2), 1i, factor("a"), mean))
  )
}

# ------------------------------------------------------------------ verdict

#' Add one to a count of a function
bump <- function(name, key) {
  row <- tally[[name]]
  if (is.null(row)) {
    row <- c(tried = 0, valid = 0, clear_errors = 0, other_failures = 0)
  }
  row[[key]] <- row[[key]] + 1
  tally[[name]] <- row
}

#' What went wrong with one call's result (list(value), list(refused =
#' condition) or list(other = message)), or "" if nothing
verdict_of <- function(result, problems, check) {
  refused <- result$refused
  if (!is.null(result$other)) {
    return(paste("not the project's error:", result$other))
  }
  if (is.null(refused)) {
    if (length(problems) && !or_value %in% problems) {
      return(paste("returned a value where", toString(problems), "was due"))
    }
    return(if (is.null(check)) "" else toString(check(result$value)))
  }
  if (!length(setdiff(problems, or_value))) {
    return(paste("a valid input was refused:", conditionMessage(refused)))
  }
  if (!class(refused)[1L] %in% problems) {
    return(sprintf("%s (%s), expected %s", class(refused)[1L],
                   conditionMessage(refused), toString(problems)))
  }
  ""
}

#' Run call(): without problems its value must pass check (which returns
#' failure messages), with problems one of those condition classes must be
#' signalled. Anything else (another error, a warning, a failed check) is
#' counted as an other failure and recorded with the input's description.
attempt <- function(name, call, problems, check = NULL, input = "") {
  bump(name, "tried")
  result <- tryCatch(
    withCallingHandlers(list(value = call()), warning = function(w) {
      stop("warning leaked: ", conditionMessage(w), call. = FALSE)
    }),
    dlfs_error = function(e) list(refused = e),
    error = function(e) list(other = conditionMessage(e))
  )
  problem <- verdict_of(result, problems, check)
  if (nzchar(problem)) {
    bump(name, "other_failures")
    failures[[name]] <- c(failures[[name]], paste(problem, "|", input))
  } else {
    bump(name, if (is.null(result$refused)) "valid" else "clear_errors")
  }
  invisible(result$value)
}

#' One number (numeric, length 1, not NA): what a scalar argument must be
one_number <- function(v) {
  is.numeric(v) && length(v) == 1L && !is.na(v)
}

#' A whole number in lo..hi
whole_in <- function(v, lo, hi) {
  one_number(v) && v == trunc(v) && v >= lo && v <= hi
}

#' The recorded failures of a function must be none, with some of each
#' outcome
expect_contract <- function(name) {
  found <- failures[[name]]
  expect(is.null(found), paste(c(sprintf("%s: %d failures", name,
                                          length(found)), head(found, 5)),
                               collapse = "\n"))
  expect_gt(tally[[name]][["valid"]], 0)
}

#' Describe an input for a failure message
show <- function(...) {
  paste(vapply(list(...), function(v) {
    paste(deparse(v, width.cutoff = 200L, nlines = 3L), collapse = " ")
  }, ""), collapse = "; ")
}

#' Number of dimensions as the checks count them (a plain vector: 1)
ndim_of <- function(x) {
  if (is.null(dim(x))) 1L else length(dim(x))
}

#' |got - ref| <= bound elementwise, ignoring NA positions; else a message
close_to <- function(got, ref, bound, what) {
  ok <- is.na(ref) | (!is.na(got) & (got == ref | abs(got - ref) <= bound))
  if (!all(ok)) {
    i <- which(!ok)[1L]
    sprintf("%s: got %.17g, reference %.17g, bound %.3g", what, got[i],
            ref[i], bound[i])
  }
}

# ------------------------------------------------------------------ tests

n_inputs <- 400L
gen <- rng(20261122)

elementwise_problems <- function(x) if (!is.numeric(x)) type_error

test_that("sigmoid: in [0, 1], monotone, symmetric, plogis within policy", {
  cls <- policy$elementwise
  check <- function(x, y) {
    x <- as.double(x)
    nan <- is.na(x)
    # stats::plogis (dlogis below -40, where plogis underflows to 0 and the
    # two agree to 1e-17) is a reference within the class: twice its bound.
    ref <- stats::plogis(x)
    low <- which(x <= -40)
    ref[low] <- stats::dlogis(x[low])
    mirror <- sigmoid(-x)
    y <- as.double(y)
    c(if (!identical(is.na(y), nan)) "NaN out only where NaN in",
      if (any(y[!nan] < 0 | y[!nan] > 1)) "outside [0, 1]",
      if (is.unsorted(y[!nan][order(x[!nan])])) "not monotone",
      close_to(y, ref, 2 * cls$max_ulp * ulp(ref), "plogis"),
      close_to(y, 1 - mirror, cls$max_ulp * (ulp(y) + ulp(mirror)) + eps / 2,
               "1 - sigmoid(-x)"))
  }
  for (i in seq_len(n_inputs)) {
    x <- draw_array(gen)
    attempt("sigmoid", function() sigmoid(x), elementwise_problems(x),
            function(y) {
              c(if (!identical(dim(y), dim(x)) || length(y) != length(x)) {
                "shape"
              }, check(x, y))
            }, show(x))
  }
  expect_contract("sigmoid")
})

test_that("sigmoid_grad: in [0, 1/4], even, dlogis within policy", {
  cls <- policy$elementwise_product
  for (i in seq_len(n_inputs)) {
    x <- draw_array(gen)
    attempt("sigmoid_grad", function() sigmoid_grad(x),
            elementwise_problems(x), function(g) {
              ref <- stats::dlogis(as.double(x))
              c(if (!identical(dim(g), dim(x))) "shape",
                if (!identical(is.na(g), is.na(x))) "NaN where not NaN",
                if (any(g[!is.na(g)] < 0 | g[!is.na(g)] > 0.25)) "range",
                if (!identical(sigmoid_grad(-x), g)) "not even",
                close_to(as.double(g), ref, 2 * cls$max_ulp * ulp(ref),
                         "dlogis"))
            }, show(x))
  }
  expect_contract("sigmoid_grad")
})

softmax_problems <- function(x) {
  if (!is.numeric(x)) return(type_error)
  shape <- shape_of(x)
  if (!ndim_of(x) %in% 1:2 || shape[length(shape)] == 0) input_error
}

#' softmax's properties on rows: NaN rows exactly where documented (a NaN,
#' a +Inf, or -Inf only), sums to 1, order kept
check_softmax <- function(x, y) {
  rows <- if (is.matrix(x)) x else matrix(as.double(x), nrow = 1L)
  y_rows <- if (is.matrix(y)) y else matrix(as.double(y), nrow = 1L)
  k <- ncol(rows)
  if (nrow(rows) == 0L) return(if (!identical(dim(y), dim(x))) "shape")
  row_max <- apply(rows, 1L, max)
  nan_rows <- is.na(row_max) | is.infinite(row_max)
  sums <- rowSums(y_rows[!nan_rows, , drop = FALSE])
  ordered <- vapply(which(!nan_rows), function(i) {
    !is.unsorted(y_rows[i, order(rows[i, ])])
  }, TRUE)
  c(if (!identical(dim(y), dim(x)) || length(y) != length(x)) "shape",
    if (!all(is.na(y_rows[nan_rows, ]))) "a documented NaN row is not NaN",
    if (anyNA(y_rows[!nan_rows, ])) "a silent NaN",
    if (any(abs(sums - 1) > k * eps)) "a row does not sum to 1",
    if (!all(ordered)) "order not kept")
}

test_that("softmax: NaN rows as documented, rows sum to 1, shift exact", {
  for (i in seq_len(n_inputs)) {
    x <- if (chance(gen, 0.7)) {
      draw_array(gen, draw_shape(gen, 1:2, 1), "double")
    } else {
      draw_array(gen)
    }
    attempt("softmax", function() softmax(x), softmax_problems(x),
            function(y) check_softmax(x, y), show(x))
  }
  for (i in seq_len(n_inputs / 4)) {
    # On a grid of 2^-10 within 2^20, x + c is exact for whole c, so the
    # differences to the row maximum, and every output bit, are the same.
    x <- round(draw_array(gen, draw_shape(gen, 1:2, 1), "double",
                          reach = 1e5) * 1024) / 1024
    x[!is.finite(x)] <- 0
    c_shift <- draw_int(gen, -1000, 1000)
    attempt("softmax", function() softmax(x + c_shift), character(0),
            function(y) if (!identical(y, softmax(x))) "not shift-exact",
            show(x, c_shift))
  }
  expect_contract("softmax")
})

# ------------------------------------------------------------------ losses

#' Rows of t (k columns) that are each one 1 among 0s
is_one_hot <- function(t, k) {
  !anyNA(t) && all(t == 0 | t == 1) &&
    all(rowSums(matrix(t, ncol = k) == 1) == 1)
}

#' n integer class codes in 0..k-1 (a vector or a 1-d array)
are_codes <- function(t, n, k) {
  if (!is.integer(t) || length(dim(t)) > 1L || length(t) != n || anyNA(t)) {
    return(FALSE)
  }
  !length(t) || (min(t) >= 0 && max(t) < k)
}

#' labels_of's contract for t against predictions of shape y_shape
label_problems <- function(t, y_shape) {
  if (!is.numeric(t)) return(type_error)
  k <- y_shape[length(y_shape)]
  if (identical(as.integer(shape_of(t)), as.integer(y_shape))) {
    return(if (!is_one_hot(t, k)) input_error)
  }
  if (!are_codes(t, if (length(y_shape) > 1L) y_shape[1L] else 1, k)) {
    input_error
  }
}

#' A target for predictions of shape y_shape: labels (some out of range),
#' one-hot rows (some broken), double labels, or anything
draw_target <- function(gen, y_shape) {
  if (length(y_shape) > 2L) y_shape <- y_shape[length(y_shape)]
  k <- y_shape[length(y_shape)]
  n <- if (length(y_shape) > 1L) y_shape[1L] else 1
  labels <- integers(gen, max(k, 1), n)
  one_hot <- matrix(0, n, k)
  if (k > 0 && n > 0) one_hot[cbind(seq_len(n), labels + 1L)] <- 1
  if (length(y_shape) < 2L) one_hot <- as.vector(one_hot)
  switch(draw_int(gen, 1, 9),
    labels, labels, one_hot, one_hot,
    { # a broken one-hot row
      if (length(one_hot)) {
        one_hot[draw_int(gen, 1, length(one_hot))] <-
          pick(gen, c(2, 0.5, 1, 0, NA))
      }
      one_hot
    },
    labels + pick(gen, list(-2L, as.integer(k), 0, 1.5)), # or double
    array(labels, length(labels)), # a 1-d array of labels
    draw_array(gen),
    pick(gen, list(as.logical(labels), as.character(labels), NULL,
                   replace(labels, 1L, NA_integer_)))
  )
}

#' Probabilities shaped n x k or k, or anything
draw_y <- function(gen) {
  if (chance(gen, 0.2)) return(draw_array(gen))
  shape <- draw_shape(gen, 1:2, 1, 5)
  u <- uniform(gen, prod(shape))^3
  u[uniform(gen, length(u)) < 0.1] <- pick(gen, c(0, 5e-324, 1, 1e308))
  shaped(gen, u, shape)
}

ce_problems <- function(y, t) {
  if (!is.numeric(y)) return(type_error)
  if (!ndim_of(y) %in% 1:2 || length(y) == 0L || !all(is.finite(y)) ||
        any(y < 0)) {
    return(input_error)
  }
  label_problems(t, shape_of(y))
}

#' Labels (0-based) of a checked t for y, and t's one-hot and label forms
target_forms <- function(t, y) {
  shape <- shape_of(y)
  k <- shape[length(shape)]
  labels <- if (identical(as.integer(shape_of(t)), as.integer(shape))) {
    max.col(matrix(t, ncol = k), ties.method = "first") - 1L
  } else {
    as.integer(t)
  }
  one_hot <- matrix(0, length(labels), k)
  one_hot[cbind(seq_along(labels), labels + 1L)] <- 1
  if (length(shape) < 2L) one_hot <- as.vector(one_hot)
  list(labels = labels, one_hot = one_hot)
}

#' cross_entropy_error's properties: a finite mean of its terms, the same
#' for t one-hot or labels
check_ce <- function(y, t, loss) {
  forms <- target_forms(t, y)
  rows <- matrix(as.double(y), ncol = shape_of(y)[ndim_of(y)])
  terms <- -log(rows[cbind(seq_len(nrow(rows)), forms$labels + 1L)] +
                  ce_delta)
  spread <- (max(terms) - min(terms) + 1) * eps * length(terms)
  # (One sample of one class: R cannot tell a label from a one-hot row.)
  labels_differ <- length(y) > 1L &&
    !identical(cross_entropy_error(y, forms$labels), loss)
  c(if (length(loss) != 1L || !is.finite(loss)) "not a finite number",
    if (loss < min(terms) - spread || loss > max(terms) + spread) {
      "not a mean of its terms"
    },
    if (!identical(cross_entropy_error(y, forms$one_hot), loss) ||
          labels_differ) "one-hot and labels differ")
}

test_that("cross_entropy_error: a mean of its terms; one-hot = labels", {
  for (i in seq_len(n_inputs)) {
    y <- draw_y(gen)
    t <- draw_target(gen, if (is.numeric(y)) shape_of(y) else 1L)
    attempt("cross_entropy_error", function() cross_entropy_error(y, t),
            ce_problems(y, t), function(loss) check_ce(y, t, loss),
            show(y, t))
  }
  expect_contract("cross_entropy_error")
})

#' mean_squared_error's contract: numeric, one shape, finite
mse_problems <- function(y, t) {
  if (!is.numeric(y) || !is.numeric(t)) return(type_error)
  if (!identical(as.integer(shape_of(y)), as.integer(shape_of(t))) ||
        !all(is.finite(y)) || !all(is.finite(t))) {
    input_error
  }
}

test_that("mean_squared_error: >= 0, symmetric, never NaN", {
  for (i in seq_len(n_inputs)) {
    y <- draw_array(gen)
    t <- if (is.numeric(y) && chance(gen, 0.75)) {
      replace(y, seq_along(y), draw_doubles(gen, length(y),
                                            nonfinite = chance(gen, 0.3)))
    } else {
      draw_array(gen)
    }
    attempt("mean_squared_error", function() mean_squared_error(y, t),
            mse_problems(y, t), function(v) {
              c(if (length(v) != 1L || is.na(v) || v < 0) "NaN or < 0",
                if (!identical(mean_squared_error(t, y), v)) "not symmetric",
                if (!identical(mean_squared_error(y, y), 0)) "mse(y, y) != 0")
            }, show(y, t))
  }
  expect_contract("mean_squared_error")
})

# ------------------------------------------------------------------ gradients

vector_f <- function(x) x
not_double <- c("integer", "logical", "character", "other")

#' function_2's numerical gradient is 2x within the policy's bound (its
#' scale: f's rounding at x +- h over 2h, in eps) plus delta, by which the
#' rounding of x +- h moves the exact central difference off 2x
check_f2_gradient <- function(x, g) {
  cls <- policy$numerical_gradient
  n <- length(x)
  e_f <- function(v) 0.5 * (n + 1) * sum(v^2)
  scale <- vapply(seq_len(n), function(j) {
    up <- x
    down <- x
    up[j] <- x[j] + h_step
    down[j] <- x[j] - h_step
    (e_f(up) + e_f(down)) / (2 * h_step)
  }, 0)
  u <- ulp(abs(as.double(x)) + h_step)
  delta <- abs(x) * u / h_step + u + u * u / h_step
  bound <- delta + cls$max_ulp * ulp(2 * abs(x) + delta) + cls$c * eps * scale
  c(if (!identical(dim(g), dim(x)) || length(g) != n) "shape",
    if (!all(is.finite(g))) "not finite",
    close_to(as.double(g), as.double(2 * x), bound, "2x"))
}

#' numerical_gradient's contract: f a function, x double and finite, f one
#' finite number at x +- h (function_2 beyond 1e154 is not)
gradient_problems <- function(f, x) {
  if (!is.function(f) || !is.double(x)) return(type_error)
  if (!all(is.finite(x))) return(input_error)
  f_bad <- if (identical(f, f2)) !is.finite(f2(x)) else length(x) > 1L
  if (f_bad) input_error
}

test_that("numerical_gradient of function_2 is 2x within its policy", {
  for (i in seq_len(n_inputs)) {
    f <- pick(gen, list(f2, f2, f2, f2, vector_f, "function_2", NULL))
    x <- if (chance(gen, 0.8)) {
      draw_array(gen, draw_shape(gen, 0:3, 0, 4), "double",
                 reach = pick(gen, c(1e3, 1e100, Inf)))
    } else {
      draw_array(gen, kind = pick(gen, not_double))
    }
    if (is.double(x) && chance(gen, 0.5)) x[!is.finite(x)] <- 1
    problems <- gradient_problems(f, x)
    before <- x
    attempt("numerical_gradient", function() numerical_gradient(f, x),
            problems, function(g) {
              c(if (!identical(x, before)) "x changed",
                if (identical(f, f2)) check_f2_gradient(x, g))
            }, show(f, x))
  }
  expect_contract("numerical_gradient")
})

valid_rates <- function(gen) {
  if (chance(gen, 0.75)) {
    return(pick(gen, list(1e-3 + 0.9 * uniform(gen, 1L), 1L, 1, 0.5)))
  }
  pick(gen, list(0, -0.1, NaN, NA, Inf, TRUE, "0.1", NULL, c(0.1, 0.2)))
}

#' require_positive: a finite number > 0
rate_problem <- function(lr) {
  !one_number(lr) || !is.finite(lr) || lr <= 0
}

#' require_count: a whole number >= minimum
count_problem <- function(n, minimum) {
  !whole_in(n, minimum, Inf) || !is.finite(n)
}

test_that("gradient_descent: init_x untouched, x0 (1 - 2 lr)^k on f2", {
  for (i in seq_len(n_inputs)) {
    x0 <- if (chance(gen, 0.75)) {
      draw_array(gen, draw_shape(gen, 0:2, 1, 4), "double", reach = 1e3)
    } else {
      draw_array(gen, kind = pick(gen, not_double))
    }
    if (is.double(x0)) x0[!is.finite(x0)] <- 2
    lr <- valid_rates(gen)
    steps <- if (chance(gen, 0.75)) {
      pick(gen, list(0, 1L, 2, 3, 5L))
    } else {
      pick(gen, list(-1, 2.5, TRUE, NA, "2", NULL, c(1, 2)))
    }
    problems <- c(if (!is.double(x0)) type_error,
                  if (rate_problem(lr) || count_problem(steps, 0)) input_error)
    attempt("gradient_descent", function() {
      gradient_descent(f2, x0, lr, steps)
    }, problems, function(x) {
      # Each step adds lr times the gradient's error (f's rounding over h,
      # and x +- h's) and its own rounding; 0 < lr <= 1 contracts.
      n <- length(x0)
      step_error <- lr * eps / h_step *
        (2 * (n + 1) * sum(x0^2) + 4 * max(abs(x0), 0)) + 4 * eps
      bound <- steps * (step_error + 4 * eps * abs(x0))
      c(if (!identical(dim(x), dim(x0)) || length(x) != n) "shape",
        close_to(as.double(x), as.double(x0 * (1 - 2 * lr)^steps), bound,
                 "x0 (1 - 2 lr)^k"))
    }, show(x0, lr, steps))
  }
  expect_contract("gradient_descent")
})

#' params and grads: named lists of double or integer arrays, grads matching
#' or with a key, a name or a shape off; or not lists
draw_params <- function(gen) {
  keys <- unique(vapply(seq_len(draw_int(gen, 0, 4)), function(i) {
    pick(gen, c("W1", "b1", "W2", "b", "x"))
  }, ""))
  kind <- pick(gen, c("double", "double", "integer"))
  shapes <- lapply(keys, function(k) draw_shape(gen, 0:2, 0, 4))
  params <- stats::setNames(lapply(shapes, function(s) {
    draw_array(gen, s, kind, reach = 1e100)
  }), keys)
  grads <- stats::setNames(lapply(shapes, function(s) {
    draw_array(gen, s, "double", reach = 1e100)
  }), keys)
  if (kind == "double") params <- lapply(params, function(p) {
    p[!is.finite(p)] <- 1
    p
  })
  grads <- lapply(grads, function(g) {
    g[!is.finite(g)] <- -1
    g
  })
  switch(draw_int(gen, 1, 10),
    if (length(keys)) grads[[keys[1L]]] <- NULL,
    grads$extra <- 0,
    if (length(keys)) grads[[keys[1L]]] <- array(0, c(2, 1, 1)),
    params <- pick(gen, list(c(1, 2), "params", NULL, list(1, 2))),
    if (length(keys)) {
      names(params)[1L] <- names(grads)[1L] <- "b1"
      names(params)[length(keys)] <- names(grads)[length(keys)] <- "b1"
    },
    grads <- rev(grads), # the same keys in another order: valid
    if (length(keys)) params[[keys[1L]]] <- pick(gen, list("x", TRUE,
                                                           factor("a"))),
    if (length(keys)) names(params)[1L] <- names(grads)[1L] <- ""
  )
  list(params = params, grads = grads)
}

#' Are params and grads lists with the same distinct names?
same_names <- function(params, grads) {
  keys <- names(params)
  if (!is.list(params) || !is.list(grads) || is.null(keys)) return(FALSE)
  all(nzchar(keys)) && !anyDuplicated(keys) &&
    identical(sort(keys), sort(names(grads)))
}

#' sgd_update's contract: lr > 0, lists with the same distinct names, each
#' param the shape of its grad
sgd_problems <- function(params, grads, lr) {
  if (rate_problem(lr) || !same_names(params, grads)) return(input_error)
  keys <- names(params)
  numeric <- vapply(keys, function(k) {
    is.numeric(params[[k]]) && is.numeric(grads[[k]])
  }, TRUE)
  shapes_match <- vapply(keys, function(k) {
    identical(dim(params[[k]]), dim(grads[[k]])) &&
      length(params[[k]]) == length(grads[[k]])
  }, TRUE)
  # Key by key: a non-numeric value, else a shape off.
  c(if (!all(numeric)) type_error, if (!all(shapes_match | !numeric)) {
    input_error
  })
}

test_that("sgd_update: p - lr * g bit for bit, inputs untouched", {
  for (i in seq_len(n_inputs)) {
    pg <- draw_params(gen)
    params <- pg$params
    grads <- pg$grads
    lr <- valid_rates(gen)
    attempt("sgd_update", function() sgd_update(params, grads, lr),
            sgd_problems(params, grads, lr), function(new) {
              keys <- names(params)
              same <- vapply(keys, function(k) {
                identical(new[[k]], params[[k]] - as.double(lr) * grads[[k]])
              }, TRUE)
              c(if (!identical(names(new), keys)) "keys",
                if (!all(same)) "not p - lr * g bit for bit",
                if (!identical(params, pg$params) ||
                      !identical(grads, pg$grads)) "inputs modified")
            }, show(params, grads, lr))
  }
  expect_contract("sgd_update")
})

# ------------------------------------------------------------------ rng

#' A seed, a method, n and high: valid mostly, else one of the refused
draw_rng_args <- function(gen) {
  list(
    seed = if (chance(gen, 0.8)) {
      pick(gen, list(integers(gen, 2^31, 1L), draw_int(gen, 0, 9), 2^31 - 1))
    } else {
      pick(gen, list(-1, 2^31, 1.5, NA, "1", TRUE, NULL, c(1, 2), NaN, Inf))
    },
    method = pick(gen, c("uniform", "normal", "integers")),
    junk_gen = chance(gen, 0.05),
    n = if (chance(gen, 0.8)) {
      pick(gen, list(draw_int(gen, 0, 40), 3L, 2.0))
    } else {
      pick(gen, list(-1, 2.5, NA, Inf, "3", TRUE, NULL))
    },
    high = if (chance(gen, 0.8)) {
      pick(gen, list(draw_int(gen, 1, 100), 2^31, 7L))
    } else {
      pick(gen, list(0, -3, 2^31 + 1, 2.5, TRUE, "2", NA))
    }
  )
}

#' The draws of rng(seed) by the method (or of a gen that is not one)
rng_draw <- function(a) {
  g <- if (a$junk_gen) list(s1 = 1, s2 = 2) else rng(a$seed)
  switch(a$method, uniform = uniform(g, a$n), normal = normal(g, a$n),
         integers = integers(g, a$high, a$n))
}

#' Draws: n of them, in range, the same again from the same seed
check_draws <- function(a, v) {
  range_ok <- switch(a$method,
    uniform = is.double(v) && all(v > 0 & v < 1),
    normal = all(is.finite(v)) && all(abs(v) < 9),
    integers = is.integer(v) && all(v >= 0 & v < a$high)
  )
  c(if (length(v) != a$n || !identical(v, rng_draw(a))) "length or repeat",
    if (!range_ok) "range")
}

test_that("rng: draws in range, deterministic, checked arguments", {
  for (i in seq_len(3L * n_inputs)) {
    a <- draw_rng_args(gen)
    bad <- !whole_in(a$seed, 0, 2^31 - 1) || count_problem(a$n, 0) ||
      (a$method == "integers" && !whole_in(a$high, 1, 2^31))
    problems <- c(if (a$junk_gen) type_error, if (bad) input_error)
    attempt(paste0("rng.", a$method), function() rng_draw(a), problems,
            function(v) check_draws(a, v), show(a))
  }
  for (method in c("uniform", "normal", "integers")) {
    expect_contract(paste0("rng.", method))
  }
})

# ------------------------------------------------------------------ the net

sizes_or_not <- function(gen) {
  if (chance(gen, 0.85)) return(pick(gen, list(draw_int(gen, 1, 4), 2L, 3)))
  pick(gen, list(0, -1, 2.5, TRUE, "3", NULL, NA, c(2, 3)))
}

#' TwoLayerNet()'s arguments: valid mostly, else one of the refused
draw_init_args <- function(gen) {
  list(
    sizes = list(sizes_or_not(gen), sizes_or_not(gen), sizes_or_not(gen)),
    std = if (chance(gen, 0.8)) {
      pick(gen, list(0, 0.01, 1, 10, 1L))
    } else {
      pick(gen, list(-0.01, NaN, Inf, "0.1", NULL, NA, TRUE))
    },
    seed = if (chance(gen, 0.85)) {
      pick(gen, list(NULL, draw_int(gen, 0, 99), 5L))
    } else {
      pick(gen, list(-1, 1.5, "1", NA))
    }
  )
}

#' TwoLayerNet()'s contract: whole sizes >= 1, a finite std >= 0, a seed
init_problems <- function(a) {
  bad_size <- any(vapply(a$sizes, count_problem, TRUE, minimum = 1))
  bad_std <- !one_number(a$std) || !is.finite(a$std) || a$std < 0
  bad_seed <- !is.null(a$seed) && !whole_in(a$seed, 0, 2^31 - 1)
  if (bad_size || bad_std || bad_seed) input_error
}

make_net <- function(a) do.call(TwoLayerNet, c(a$sizes, list(a$std, a$seed)))

#' A new net: its params' names and shapes, zero biases, finite weights,
#' the same again from the same seed
check_init <- function(a, net) {
  p <- net$params
  s <- as.double(unlist(a$sizes))
  want <- list(W1 = s[1:2], b1 = s[2], W2 = s[2:3], b2 = s[3])
  finite <- all(vapply(p, function(v) all(is.finite(v)), TRUE))
  c(if (!identical(names(p), param_keys)) "keys",
    if (!identical(lapply(p, function(v) as.double(shape_of(v))), want)) {
      "shapes"
    },
    if (any(p$b1 != 0) || any(p$b2 != 0) || !finite) "biases or weights",
    if (!is.null(a$seed) && !identical(make_net(a)$params, p)) "repeat")
}

test_that("TwoLayerNet(): shapes, zero biases, seeded weights repeat", {
  for (i in seq_len(n_inputs)) {
    a <- draw_init_args(gen)
    attempt("TwoLayerNet", function() make_net(a), init_problems(a),
            function(net) check_init(a, net), show(a))
  }
  expect_contract("TwoLayerNet")
})

#' A seeded net (weights std <= 10), an x mostly shaped for it (finite
#' values beyond 1e300 now and then: there x %*% W1 can overflow, which is
#' a dlfs_numerical_error if the predictions turn NaN), and a t fitted to
#' its predictions
draw_net_call <- function(gen) {
  sizes <- c(draw_int(gen, 1, 4), draw_int(gen, 1, 4), draw_int(gen, 1, 4))
  net <- TwoLayerNet(sizes[1], sizes[2], sizes[3],
                     pick(gen, c(0.01, 1, 10)), draw_int(gen, 0, 99))
  n_in <- sizes[1]
  shape <- if (chance(gen, 0.3)) n_in else c(draw_int(gen, 0, 5), n_in)
  x <- if (chance(gen, 0.75)) {
    values <- draw_doubles(gen, prod(shape), reach = pick(gen, c(1e300, Inf)),
                           nonfinite = chance(gen, 0.2))
    if (length(shape) == 1L) values else matrix(values, shape[1L])
  } else if (chance(gen, 0.3)) {
    matrix(integers(gen, 19, prod(shape)) - 9L, ncol = n_in)
  } else {
    draw_array(gen, kind = pick(gen, c("double", "integer", "logical",
                                       "character", "other")), reach = 1e300)
  }
  y_shape <- if (is.matrix(x)) c(nrow(x), sizes[3]) else sizes[3]
  list(net = net, x = x, t = draw_target(gen, y_shape), y_shape = y_shape)
}

#' check_input's contract, then (with_t) labels_of's; beyond 1e300 a
#' dlfs_numerical_error may come too
net_problems <- function(net, x, t, y_shape, with_t = TRUE) {
  if (!is.numeric(x)) return(type_error)
  # A plain vector or a 1-d array is one sample.
  cols <- if (is.matrix(x)) ncol(x) else if (length(dim(x)) <= 1L) length(x)
  fits <- ndim_of(x) %in% 1:2 && identical(cols, net$shapes$W1[1L])
  if (!fits || length(x) == 0L || !all(is.finite(x))) return(input_error)
  with_overflow(x, if (with_t) label_problems(t, y_shape))
}

#' problems, and where x is beyond 1e300 (x %*% W1 can overflow) a
#' dlfs_numerical_error, which comes first, and a value if nothing else
with_overflow <- function(x, problems) {
  if (max(abs(x)) <= 1e300) return(problems)
  c(problems, numerical_error, if (!length(problems)) or_value)
}

#' Rows of predictions: finite, in [0, 1], summing to 1
check_rows <- function(y, k) {
  y2 <- matrix(y, ncol = k)
  c(if (!all(is.finite(y2)) || any(y2 < 0 | y2 > 1)) "not probabilities",
    if (any(abs(rowSums(y2) - 1) > k * eps)) "a row does not sum to 1")
}

test_that("predict, loss, accuracy: rows sum to 1, loss = its cross-entropy", {
  for (i in seq_len(n_inputs)) {
    call <- draw_net_call(gen)
    net <- call$net
    x <- call$x
    t <- call$t
    k <- net$shapes$W2[2L]
    input <- show(net$params, x, t)
    attempt("TwoLayerNet.predict", function() predict(net, x),
            net_problems(net, x, t, call$y_shape, FALSE), function(y) {
              shape <- if (is.matrix(x)) c(nrow(x), k) else k
              c(if (!identical(as.integer(shape_of(y)), as.integer(shape))) {
                "shape"
              }, check_rows(y, k))
            }, input)
    problems <- net_problems(net, x, t, call$y_shape)
    attempt("TwoLayerNet.loss", function() loss(net, x, t), problems,
            function(v) {
              y <- predict(net, x)
              forms <- target_forms(t, y)
              c(if (!is.finite(v) || v < -1e-7) "not a finite loss",
                if (!identical(cross_entropy_error(y, t), v)) {
                  "not the cross-entropy of predict"
                },
                if (!identical(loss(net, x, forms$one_hot), v)) "one-hot")
            }, input)
    attempt("TwoLayerNet.accuracy", function() accuracy(net, x, t), problems,
            function(v) {
              y2 <- matrix(predict(net, x), ncol = k)
              hits <- max.col(y2, ties.method = "first") - 1L ==
                target_forms(t, predict(net, x))$labels
              if (!identical(v, sum(hits) / nrow(y2))) "not count / n"
            }, input)
  }
  for (name in paste0("TwoLayerNet.", c("predict", "loss", "accuracy"))) {
    expect_contract(name)
  }
})

#' Gradient maps: the params' names and shapes, finite
check_grads <- function(grads, net) {
  c(if (!identical(names(grads), param_keys)) "keys",
    if (!identical(lapply(grads, shape_of), lapply(net$params, shape_of))) {
      "shapes"
    },
    if (!all(vapply(grads, function(g) all(is.finite(g)), TRUE))) "finite")
}

#' A net's numerical gradient: the params' shapes, finite; near backprop's
#' where a sanity bound holds (not the policy: the fixtures hold that): the
#' 1e-7 guard moves the gradient by 1e-7 / y relative, the central
#' difference by h^2 times the third derivative
check_numerical_net <- function(net, x, t, g, backprop) {
  labels <- target_forms(t, predict(net, x))$labels
  y <- matrix(predict(net, x), ncol = net$shapes$W2[2L])
  picked <- y[cbind(seq_len(nrow(y)), labels + 1L)]
  tame <- max(abs(x)) <= 10 && min(picked) >= 1e-3 &&
    max(abs(net$params$W1)) <= 5
  near <- !tame || all(vapply(param_keys, function(k) {
    all(abs(g[[k]] - backprop[[k]]) <= 1e-4 * (1 + max(abs(backprop[[k]]))))
  }, TRUE))
  c(check_grads(g, net), if (!near) "far from backprop")
}

#' The problems of numerical_gradient(net, x, t, method): x's, the
#' method's, then t's
method_problems <- function(net, call, method) {
  x_problem <- net_problems(net, call$x, call$t, call$y_shape, FALSE)
  method_ok <- is.character(method) && length(method) == 1L &&
    method %in% c("series", "plain")
  if (length(setdiff(x_problem, c(numerical_error, or_value)))) {
    return(x_problem)
  }
  if (!method_ok) input_error else net_problems(net, call$x, call$t,
                                                call$y_shape)
}

test_that("gradient and numerical_gradient: shapes, finite, agree", {
  for (i in seq_len(n_inputs)) {
    call <- draw_net_call(gen)
    net <- call$net
    x <- call$x
    t <- call$t
    input <- show(net$params, x, t)
    grads <- attempt("TwoLayerNet.gradient", function() gradient(net, x, t),
                     net_problems(net, x, t, call$y_shape), function(g) {
                       # Each row of y - t sums to 0: so does db2 (to eps).
                       k <- net$shapes$W2[2L]
                       c(check_grads(g, net),
                         if (abs(sum(g$b2)) > 4 * k * eps) "sum of db2")
                     }, input)
    method <- pick(gen, list("series", "plain", "series", "Series", NULL, 3))
    attempt("TwoLayerNet.numerical_gradient", function() {
      numerical_gradient(net, x, t, method)
    }, method_problems(net, call, method), function(g) {
      check_numerical_net(net, x, t, g, grads)
    }, paste(input, show(method)))
  }
  expect_contract("TwoLayerNet.gradient")
  expect_contract("TwoLayerNet.numerical_gradient")
})

#' A replacement for net's params: valid (NaN weights included), or a key,
#' shape or type off, or not a list; or an assignment to another element
draw_new_params <- function(gen, net) {
  new <- lapply(net$params, function(p) {
    v <- draw_doubles(gen, length(p), reach = 1e3, nonfinite = FALSE)
    v[uniform(gen, length(v)) < 0.05] <- NaN
    if (is.matrix(p)) matrix(v, nrow(p)) else v
  })
  key <- pick(gen, param_keys)
  name <- "params"
  switch(draw_int(gen, 1, 12),
    new[[key]] <- NULL,
    new$W3 <- 0,
    new[[key]] <- array(0, draw_shape(gen, 1:3, 0, 5)),
    storage.mode(new[[key]]) <- pick(gen, c("integer", "logical",
                                           "character")),
    new <- pick(gen, list(NULL, 1, "params", list(1, 2, 3, 4))),
    new <- new[rev(param_keys)], # reordered: valid
    name <- "shapes"
  )
  list(new = new, name = name)
}

#' Does value have shape want (a matrix's dim, or a plain vector's length)?
fits_shape <- function(value, want) {
  if (length(want) == 2L) return(identical(dim(value), want))
  is.null(dim(value)) && length(value) == want
}

#' set_params's contract: only params; a list of W1, b1, W2, b2; doubles
#' of the net's shapes
params_problems <- function(a, shapes) {
  new <- a$new
  if (a$name != "params" || !is.list(new) || length(new) != 4L ||
        !setequal(names(new), param_keys)) {
    return(input_error)
  }
  c(if (!all(vapply(new, is.double, TRUE))) type_error,
    if (!all(mapply(fits_shape, new[param_keys], shapes[param_keys]))) {
      input_error
    })
}

#' New params are stored; the loss is a dlfs_numerical_error exactly for
#' non-finite weights (here, where x %*% W cannot overflow)
check_params <- function(after, new) {
  p <- after$params
  finite <- all(vapply(p, function(v) all(is.finite(v)), TRUE))
  # Label 0, or the one-hot 1 of a single class.
  one_class <- as.integer(after$shapes$W2[2L] == 1L)
  v <- tryCatch(loss(after, rep(0.5, after$shapes$W1[1L]), one_class),
                dlfs_numerical_error = function(e) NA)
  c(if (!identical(p, new[param_keys])) "not stored",
    if (is.na(v) == finite) "a numerical error <=> a non-finite weight")
}

test_that("net$params <- value: checked; a refused value loses nothing", {
  for (i in seq_len(n_inputs)) {
    net <- TwoLayerNet(draw_int(gen, 1, 4), draw_int(gen, 1, 4),
                       draw_int(gen, 1, 4), seed = draw_int(gen, 0, 99))
    a <- draw_new_params(gen, net)
    before <- net
    assign_params <- function() {
      if (a$name == "params") net$params <- a$new else net$shapes <- a$new
      net
    }
    changed <- attempt("TwoLayerNet.params", assign_params,
                       params_problems(a, net$shapes),
                       function(after) check_params(after, a$new), show(a))
    if (is.null(changed)) {
      expect_identical(net, before) # the refused value changed nothing
    }
  }
  expect_contract("TwoLayerNet.params")
})

# ------------------------------------------------------------------ contracts

#' The contract on one call: a dlfs_error, or a value without warnings and
#' without NaN
contract_holds <- function(call) {
  tryCatch(
    withCallingHandlers({
      value <- call()
      !anyNA(unlist(value))
    }, warning = function(w) stop(conditionMessage(w))),
    dlfs_error = function(e) TRUE,
    error = function(e) FALSE
  )
}

# The inputs that showed defects (since fixed), kept as contracts.
test_that("NaN or Inf in x: a clear error from numerical_gradient", {
  expect_true(contract_holds(function() numerical_gradient(f2, c(Inf, 1))))
})

test_that("sgd_update refuses non-numeric values and unnamed elements", {
  expect_true(contract_holds(function() {
    sgd_update(list(a = "x"), list(a = "y"), 0.1)
  }))
  expect_true(contract_holds(function() {
    sgd_update(list(a = factor("x")), list(a = factor("y")), 0.1)
  }))
  expect_error(sgd_update(list(1, a = 2), list(1, a = 2), 0.1),
               class = "dlfs_input_error")
})

test_that("uniform, normal, integers refuse a gen that is not one", {
  expect_true(contract_holds(function() uniform(NULL, 3)))
  expect_true(contract_holds(function() integers(list(), 3, 2)))
})

test_that("finite x %*% W1 beyond doubles: a clear error, not NaN", {
  net <- TwoLayerNet(2, 1, 2, seed = 1)
  net$params <- list(W1 = matrix(c(10, 10), 2), b1 = 0,
                     W2 = matrix(c(1, -1), 1), b2 = c(0, 0))
  expect_error(predict(net, c(1e308, -1e308)),
               class = "dlfs_numerical_error")
})

test_that("the counts are written for the README table", {
  names <- sort(ls(tally))
  counts <- lapply(names, function(n) as.list(tally[[n]]))
  names(counts) <- names
  total <- Reduce(`+`, lapply(names, function(n) tally[[n]]))
  path <- file.path(root, "build", "robustness", "properties_r.json")
  dir.create(dirname(path), recursive = TRUE, showWarnings = FALSE)
  jsonlite::write_json(list(
    language = "r", generator = "rng(20261122), a fixed loop",
    functions = counts, total = as.list(total),
    known_issues_outside_generators = character(0)
  ), path, auto_unbox = TRUE, pretty = TRUE, digits = NA)
  expect_identical(total[["other_failures"]], 0)
  expect_gt(total[["tried"]], 3000)
})
