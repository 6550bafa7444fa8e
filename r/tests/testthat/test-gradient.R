# gradient.R: fixture cases and the book's traps, made errors.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
policy <- load_policy()

for (fn in module_functions("gradient")) {
  test_that(paste(fn, "is within its class on every fixture case"), {
    verdicts <- check_function_cases(fn, policy = policy)
    expect_gt(length(verdicts), 0)
    for (id in names(verdicts)) {
      expect(verdicts[[id]]$passed,
             paste(fn, id, format_verdict(verdicts[[id]])))
    }
  })
}

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
