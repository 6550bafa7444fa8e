# Properties of numerical_gradient, gradient_descent, sgd_update and the
# random generator over generated inputs (helper-properties.R). Its own
# seed: the same inputs every run.
# helper-properties.R loads the project (r/load.R) for the helpers and tests.
local_edition(3)
reset_counts()

n_inputs <- 400L
gen <- rng(20261123)

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


test_that("the counts are written for the README table", {
  write_counts("gradients", 20261123, 1000)
})
