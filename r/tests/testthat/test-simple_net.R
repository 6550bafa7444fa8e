# simple_net.R: fixture cases, the aliasing trap, argument checks.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_fixture_cases("simple_net")

book_w <- matrix(c(0.47355232, 0.9977393, 0.84668094,
                   0.85557411, 0.03563661, 0.69422093), 2, byrow = TRUE)
x <- c(0.6, 0.9)
t <- c(0, 0, 1)

test_that("the book's lambda w: net.loss(x, t) gives zeros in R", {
  net <- SimpleNet(seed = 1)
  net$W <- book_w
  trap <- numerical_gradient(function(w) loss(net, x, t), net$W)
  expect_identical(trap, matrix(0, 2, 3))
  right <- numerical_gradient(function(W) loss(net, x, t, W), net$W) # nolint
  expect_true(all(abs(right) > 0.1))
})

test_that("loss dispatches for both nets", {
  net <- SimpleNet(seed = 1)
  expect_type(loss(net, x, t), "double")
  two <- TwoLayerNet(2, 3, 3, seed = 1)
  expect_type(loss(two, x, t), "double")
})

test_that("W and x are checked", {
  net <- SimpleNet(seed = 1)
  expect_error(net$W <- matrix(0, 3, 2), "shape", class = "dlfs_input_error")
  expect_error(net$W <- matrix(0L, 2, 3), "double",
               class = "dlfs_input_type_error")
  expect_error(net$b <- 1, "only W", class = "dlfs_input_error")
  expect_error(predict(net, c(1, 2, 3)), "2 features",
               class = "dlfs_input_error")
  expect_error(loss(net, c(NaN, 1), t), "NaN", class = "dlfs_input_error")
  expect_error(loss(net, x, t, matrix(Inf, 2, 3)), "NaN",
               class = "dlfs_input_error")
  expect_identical(dim(SimpleNet()$W), c(2L, 3L))
})
