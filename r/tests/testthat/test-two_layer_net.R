# two_layer_net.R: fixture cases, seeding, params replacement, input checks,
# gradient check, value semantics.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
policy <- load_policy()

test_fixture_cases("two_layer_net")

net_and_batch <- function() {
  gen <- rng(100)
  list(net = TwoLayerNet(6, 5, 4, weight_init_std = 0.5, seed = 3),
       x = matrix(uniform(gen, 48), 8), t = integers(gen, 4, 8))
}

# SHA-256 of python's TwoLayerNet(784, 50, 10, seed=42).params, row-major.
test_that("seeded 784-50-10 weights are python's bit for bit", {
  p <- TwoLayerNet(784, 50, 10, seed = 42)$params
  expect_identical(bits_sha256(t(p$W1)), paste0(
    "48e2dc47c242db7a6dee44a0802762e594c85003cae979940de24e19ee78dbda"))
  expect_identical(bits_sha256(t(p$W2)), paste0(
    "134d382a5fa004a26cee795a5cb92eae63bb88a8ac42c0f8f21d7a3fdf2cf293"))
  expect_identical(p$b1, numeric(50))
  expect_identical(p$b2, numeric(10))
  # And against the exact weights of the fixture, within rng_normal.
  cases <- load_cases("TwoLayerNet.init")
  case <- Filter(function(case) case$inputs$seed == 42, cases)[[1]]
  v <- compare(p, case$expected, policy[[case$tolerance]])
  expect(v$passed, format_verdict(v))
})

test_that("seeded weights come row-major from the portable stream", {
  net <- TwoLayerNet(3, 2, 2, weight_init_std = 0.1, seed = 9)
  z <- normal(rng(9), 10)
  expect_identical(net$params$W1, 0.1 * matrix(z[1:6], 3, byrow = TRUE))
  expect_identical(net$params$W2, 0.1 * matrix(z[7:10], 2, byrow = TRUE))
  expect_null(dim(net$params$b1))
  expect_identical(net$params$b1, c(0, 0))
  expect_s3_class(TwoLayerNet(3, 2, 2), "TwoLayerNet")
})

test_that("params are replaced as a whole, with checks", {
  net <- net_and_batch()$net
  new <- lapply(net$params, function(v) v * 0 + 1)
  net$params <- new
  expect_identical(sum(net$params$W2), 20)
  expect_identical(set_params(net, new), net)
  expect_error(net$params <- c(new[-1], list(W1 = matrix(1, 5, 6))), "W1")
  expect_error(net$params <- new["W1"], "keys")
  expect_error(net$params <- c(new[-2], list(b1 = rep(1L, 5))), "double")
  expect_error(net$params <- c(new[-2], list(b1 = matrix(1, 1, 5))), "b1")
  expect_error(net$shapes <- list(), "only params")
  expect_identical(sum(net$params$W2), 20)
})

test_that("bad inputs are refused with clear messages", {
  nb <- net_and_batch()
  expect_error(predict(nb$net, nb$x[, 1:5]), "6 columns")
  x_nan <- nb$x
  x_nan[3, 4] <- NaN
  expect_error(loss(nb$net, x_nan, nb$t), "NaN")
  x_inf <- nb$x
  x_inf[2, 1] <- -Inf
  expect_error(gradient(nb$net, x_inf, nb$t), "infinite")
  expect_error(predict(nb$net, matrix(1e308, 2, 6)), NA) # finite, sums overflow
  expect_error(gradient(nb$net, nb$x, rep(4L, 8)), "0..3", fixed = TRUE)
  expect_error(accuracy(nb$net, nb$x, rep(-1L, 8)), "0..3", fixed = TRUE)
  expect_error(predict(nb$net, as.character(nb$x)), "must be numeric",
               class = "dlfs_input_type_error")
})

test_that("backprop matches the numerical gradient (the book's check)", {
  nb <- net_and_batch()
  bp <- gradient(nb$net, nb$x, nb$t)
  num <- numerical_gradient(nb$net, nb$x, nb$t)
  expect_named(bp, param_keys)
  for (key in param_keys) {
    expect_identical(shape_of(bp[[key]]), shape_of(nb$net$params[[key]]))
    expect_lt(max(abs(bp[[key]] - num[[key]])), 1e-6)
  }
})

test_that("numerical_gradient leaves params alone and sees the perturbation", {
  nb <- net_and_batch()
  before <- nb$net$params
  grads <- numerical_gradient(nb$net, nb$x, nb$t)
  expect_identical(nb$net$params, before)
  # The R trap (perturbing a copy the loss never reads) gives all zeros.
  for (g in grads) expect_gt(max(abs(g)), 1e-6)
})

test_that("series numerical gradient equals the plain definition", {
  nb <- net_and_batch()
  policy_ng <- policy$numerical_gradient
  series <- numerical_gradient(nb$net, nb$x, nb$t)
  plain <- numerical_gradient(nb$net, nb$x, nb$t, method = "plain")
  # Both are float evaluations of the same differences; the class bound
  # with a generous err_scale of 1e6 eps (2e-10) separates them from error.
  scale <- lapply(plain, function(g) g * 0 + 1e6)
  v <- compare(series, plain, policy_ng, scale)
  expect(v$passed, format_verdict(v))
  expect_error(numerical_gradient(nb$net, nb$x, nb$t, "fast"), "method")
})

test_that("series falls back to the plain definition for large steps", {
  gen <- rng(5)
  net <- TwoLayerNet(3, 2, 2, seed = 1)
  net$params <- list(W1 = matrix(normal(gen, 6), 3), b1 = c(0, 0),
                     W2 = 100 * matrix(normal(gen, 4), 2), b2 = c(0, 0))
  x <- 10 * matrix(normal(gen, 12), 4)
  t <- c(0L, 1L, 1L, 0L)
  expect_identical(numerical_gradient(net, x, t),
                   numerical_gradient(net, x, t, method = "plain"))
})

test_that("accuracy: ties go to the first index, as np.argmax", {
  net <- TwoLayerNet(2, 2, 3, seed = 0)
  p <- net$params
  p$W2 <- matrix(0, 2, 3)
  net$params <- p
  expect_identical(accuracy(net, matrix(1, 4, 2), c(0L, 0L, 0L, 1L)), 0.75)
})

test_that("a single sample may be a plain vector", {
  nb <- net_and_batch()
  y <- predict(nb$net, nb$x[1, ])
  expect_null(dim(y))
  expect_length(y, 4)
  expect_identical(loss(nb$net, nb$x[1, ], nb$t[1]),
                   loss(nb$net, nb$x[1, , drop = FALSE], nb$t[1]))
  g1 <- gradient(nb$net, nb$x[1, ], nb$t[1])
  expect_identical(g1, gradient(nb$net, nb$x[1, , drop = FALSE], nb$t[1]))
})

test_that("NaN in x is refused by name; NaN weights: the numerical error", {
  nb <- net_and_batch()
  x <- nb$x
  x[2, 3] <- Inf
  expect_error(predict(nb$net, x), "x contains NaN", class = "dlfs_input_error")
  expect_error(gradient(nb$net, x, nb$t), "x contains NaN")
  p <- nb$net$params
  p$W2[1, 1] <- NaN
  expect_error(predict(nb$net, nb$x, p), "params W2",
               class = "dlfs_numerical_error")
  # x is named first, whatever the weights.
  expect_error(predict(nb$net, x, p), class = "dlfs_input_error")
})
