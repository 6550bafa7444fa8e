# gradient.R: fixture cases and the book's traps, made errors.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_fixture_cases("gradient")

function_2 <- function(x) sum(x^2)

test_that("integer (or other non-double) x is an error", {
  expect_error(numerical_gradient(function_2, c(3L, 4L)), "double")
  expect_error(gradient_descent(function_2, c(3L, 4L)), "double")
  expect_error(numerical_gradient(function_2, c(TRUE, FALSE)), "double")
  expect_error(numerical_gradient("function_2", c(3, 4)), "function")
})

test_that("x is unchanged bit for bit, even when f fails", {
  x <- matrix(c(0.1, -0, 1e-300, 3), 2, byrow = TRUE)
  before <- writeBin(as.vector(x), raw())
  g <- numerical_gradient(function_2, x)
  expect_identical(writeBin(as.vector(x), raw()), before)
  expect_identical(dim(g), dim(x))
  calls <- new.env()
  calls$n <- 0
  failing <- function(v) {
    calls$n <- calls$n + 1
    if (calls$n == 3) stop("boom")
    function_2(v)
  }
  expect_error(numerical_gradient(failing, x), "boom")
  expect_identical(writeBin(as.vector(x), raw()), before)
})

test_that("the gradient of function_2 is 2x on any shape", {
  x <- matrix(c(0, 2, 4, 6, 8, 10), 2)
  expect_lt(max(abs(numerical_gradient(function_2, x) - 2 * x)), 1e-6)
})

test_that("gradient_descent leaves init_x untouched and converges", {
  init <- c(-3, 4)
  out <- gradient_descent(function_2, init, lr = 0.1, step_num = 100)
  expect_identical(init, c(-3, 4))
  expect_true(all(abs(out) < 1e-8))
})

function_1 <- function(x) 0.01 * x^2 + 0.1 * x

test_that("numerical_diff prints the book's values", {
  # Book 4.3.2 and 4.3.3: function_1 at 5 and 10, and the partial
  # derivatives of function_2 at (3, 4).
  expect_identical(numerical_diff(function_1, 5), 0.1999999999990898)
  expect_identical(numerical_diff(function_1, 10), 0.2999999999986347)
  expect_identical(numerical_diff(function(x0) x0 * x0 + 4^2, 3),
                   6.00000000000378)
  expect_identical(numerical_diff(function(x1) 3^2 + x1 * x1, 4),
                   7.999999999999119)
})

test_that("numerical_diff refuses a bad f or x by name", {
  expect_error(numerical_diff("function_1", 5), "f must be a function",
               class = "dlfs_input_type_error")
  expect_error(numerical_diff(function_1, c(5, 6)), "one real number",
               class = "dlfs_input_type_error")
  expect_error(numerical_diff(function_1, "5"), "one real number",
               class = "dlfs_input_type_error")
  expect_error(numerical_diff(function_1, TRUE), "one real number",
               class = "dlfs_input_type_error")
  expect_error(numerical_diff(function_1, NaN), "finite number",
               class = "dlfs_input_error")
  expect_error(numerical_diff(function_1, -Inf), "finite number",
               class = "dlfs_input_error")
  expect_error(numerical_diff(function(x) c(x, x), 5), "one real number",
               class = "dlfs_input_error")
  expect_error(numerical_diff(exp, 709.7827), "f is not finite",
               class = "dlfs_input_error")
})

test_that("gradient_descent's history is x before each step", {
  init <- c(-3, 4)
  out <- gradient_descent(function_2, init, lr = 0.1, step_num = 20,
                          history = TRUE)
  expect_named(out, c("x", "history"))
  expect_identical(dim(out$history), c(20L, 2L))
  expect_identical(out$history[1L, ], init)
  after <- rbind(out$history[-1L, ], out$x)
  for (i in 1:20) {
    before <- out$history[i, ]
    expect_identical(after[i, ],
                     before - 0.1 * numerical_gradient(function_2, before))
  }
  expect_identical(out$x, gradient_descent(function_2, init, lr = 0.1,
                                           step_num = 20))
  expect_identical(init, c(-3, 4))
})

test_that("gradient_descent's history at 0 steps, the book's result", {
  out <- gradient_descent(function_2, c(1, 2), step_num = 0, history = TRUE)
  expect_identical(out$x, c(1, 2))
  expect_identical(dim(out$history), c(0L, 2L))
  # The book's result (ch04/gradient_method.py prints it to 9 digits).
  x <- gradient_descent(function_2, c(-3, 4), lr = 0.1, step_num = 100)
  expect_lte(max(abs(x / c(-6.11110793e-10, 8.14814391e-10) - 1)), 1e-8)
  expect_error(gradient_descent(function_2, c(1, 2), history = "yes"),
               "history", class = "dlfs_input_error")
})
