# Properties of sigmoid, sigmoid_grad, softmax and the two losses over
# generated inputs (helper-properties.R): the same inputs every run.
# helper-properties.R loads the project (r/load.R) for the helpers and tests.
local_edition(3)
reset_counts()

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


test_that("the counts are written for the README table", {
  write_counts("functions", 20261122, 1000)
})
