# optimizer.R: fixture cases, value semantics, key and shape checks.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_fixture_cases("optimizer", exact = TRUE)

test_that("sgd_update returns a new list and leaves its inputs untouched", {
  params <- list(W = matrix(1, 2, 2), b = c(0, 0))
  grads <- list(b = c(1, 1), W = matrix(2, 2, 2))
  out <- sgd_update(params, grads, lr = 0.5)
  expect_identical(out, list(W = matrix(0, 2, 2), b = c(-0.5, -0.5)))
  expect_identical(params, list(W = matrix(1, 2, 2), b = c(0, 0)))
  expect_identical(grads, list(b = c(1, 1), W = matrix(2, 2, 2)))
})

test_that("sgd_update checks keys and shapes", {
  expect_error(sgd_update(list(W = c(1, 1)), list(V = c(1, 1))), "keys")
  expect_error(sgd_update(list(W = c(1, 1)), list(W = c(1, 1, 1))), "shape")
  expect_error(sgd_update(list(W = matrix(1, 2, 2)), list(W = rep(1, 4))),
               "shape")
  expect_error(sgd_update(list(W = 1, W = 2), list(W = 1, W = 2)), "keys")
})
