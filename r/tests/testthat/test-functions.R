# functions.R: fixture cases, the book's traps, and properties.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_fixture_cases("functions")

# Wide-range finite test inputs from the suite's own generator.
wide <- function(seed, n) {
  gen <- rng(seed)
  (2 * uniform(gen, n) - 1) * 10^(integers(gen, 620L, n) - 310L)
}

test_that("sigmoid keeps subnormal results and saturates without warnings", {
  expect_identical(sigmoid(-720), 0x0.0000993b4dc95p-1022)
  expect_identical(sigmoid(c(-745, -1e308, 1e308)), c(2^-1074, 0, 1))
  expect_no_warning(y <- sigmoid(c(-Inf, Inf, NaN, -0)))
  expect_identical(y[1:2], c(0, 1))
  expect_true(is.nan(y[3]))
  expect_identical(y[4], 0.5)
})

test_that("sigmoid and sigmoid_grad: in range, monotone, no NaN, dims kept", {
  x <- wide(1, 2000)
  expect_no_warning(y <- sigmoid(x))
  expect_no_warning(g <- sigmoid_grad(x))
  expect_true(all(y >= 0 & y <= 1) && !anyNA(g) && all(g >= 0))
  expect_true(all(diff(sigmoid(sort(x))) >= 0))
  m <- matrix(x[1:6], 2)
  expect_identical(dim(sigmoid(m)), c(2L, 3L))
  expect_identical(dim(sigmoid_grad(m)), c(2L, 3L))
})

test_that("sigmoid keeps NaN, its limits and its subnormal results", {
  # The values of the issue (as test_functions.py): e / (1 + e) keeps the
  # subnormal tail that 1 / (1 + exp(-x)) rounds to 0.
  expect_identical(sigmoid(-720), 2.0322308024e-313)
  expect_identical(sigmoid(c(-745, -1e308, 1e308)), c(5e-324, 0, 1))
  expect_identical(sigmoid(c(-Inf, Inf, 0, -0)), c(0, 1, 0.5, 0.5))
  expect_identical(sigmoid_grad(c(-Inf, Inf, 0)), c(0, 0, 0.25))
  expect_true(all(is.nan(sigmoid(c(NaN, 1))[1L])) && !is.na(sigmoid(1)))
  expect_true(is.nan(sigmoid_grad(NaN)))
  expect_identical(dim(sigmoid(array(1:3, 3))), 3L)
})

test_that("softmax rows sum to one within ncol eps and follow x's order", {
  for (seed in 1:20) {
    gen <- rng(seed)
    k <- integers(gen, 12L, 1L) + 1L
    x <- matrix((uniform(gen, 8L * k) - 0.5) * 2e4, nrow = 8L)
    y <- softmax(x)
    expect_identical(dim(y), dim(x))
    expect_true(all(abs(rowSums(y) - 1) <= k * .Machine$double.eps))
    for (i in seq_len(nrow(x))) {
      expect_true(all(diff(y[i, order(x[i, ])]) >= 0))
    }
  }
})

test_that("softmax of a vector; large logits do not overflow", {
  expect_no_warning(y <- softmax(c(1000, -1000)))
  expect_identical(y, c(1, 0))
  expect_null(dim(softmax(c(1, 2, 3))))
  expect_equal(sum(softmax(c(1, 2, 3))), 1, tolerance = 4 * 2^-52)
})

test_that("cross_entropy_error: labels and one-hot agree exactly", {
  gen <- rng(1)
  y <- softmax(matrix(normal(gen, 35), 7))
  t <- c(0L, 4L, 1L, 2L, 3L, 3L, 0L)
  onehot <- diag(5)[t + 1L, ]
  expect_identical(cross_entropy_error(y, t), cross_entropy_error(y, onehot))
  expect_identical(cross_entropy_error(y[2, ], 4L),
                   cross_entropy_error(y[2, ], onehot[2, ]))
})

test_that("cross_entropy_error names the problem with bad targets", {
  y <- matrix(0.2, 2, 5)
  expect_error(cross_entropy_error(y, c(0L, 5L)), "0..4", fixed = TRUE)
  expect_error(cross_entropy_error(y, c(-1L, 0L)), "0..4", fixed = TRUE)
  expect_error(cross_entropy_error(y, c(0L, 1L, 2L)), "shape")
  expect_error(cross_entropy_error(y, c(0, 1)), "integer labels")
  expect_error(cross_entropy_error(y, matrix(0, 2, 3)), "one-hot")
  expect_error(cross_entropy_error(y, c(0L, NA)), "NA")
})

test_that("mean_squared_error: the book's value; shapes must agree", {
  y <- c(0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0)
  expect_lt(abs(mean_squared_error(y, diag(10)[3, ]) - 0.0975), 1e-16)
  expect_error(mean_squared_error(y, c(1, 0)), "shape")
})
