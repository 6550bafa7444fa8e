# cases.R: the runner table covers the fixtures; sgd_trajectory; sampled
# numerical gradients; the loaded modules pass codetools.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_fixture_cases("cases")

test_that("every fixture function has a runner and a module's test", {
  fns <- fixture_functions()
  expect_length(setdiff(fns, names(runners)), 0)
  expect_setequal(names(runner_modules), names(runners))
  expect_length(setdiff(fns, names(runner_modules)), 0)
  module_files <- paste0(runner_modules, ".R")
  expect_true(all(file.exists(file.path(root, "r", module_files)) |
                    file.exists(file.path(root, "r", "suite", module_files))))
  counts <- vapply(fns, function(fn) length(load_cases(fn)), 0L)
  expect_gte(sum(counts), 80)
})

test_that("run_case returns doubles, sampled at row-major positions", {
  for (case in load_cases("Rng.integers")) {
    expect_type(run_case("Rng.integers", case), "double")
  }
  net <- TwoLayerNet(4, 3, 2, seed = 1)
  x <- matrix(uniform(rng(2), 8), 2)
  case <- list(inputs = list(params = net$params, x = x, t = c(0L, 1L)),
               sample = list(W1 = list(0L, 5L), b2 = list(1L)))
  full <- gradient(net, x, c(0L, 1L))
  expect_identical(run_case("TwoLayerNet.gradient", case),
                   list(W1 = full$W1[cbind(c(1, 2), c(1, 3))],
                        b2 = full$b2[2]))
  expect_error(run_case("no_such_function", list(inputs = list())),
               "no R runner")
})

# R's 1-based column-major indices of numpy's 0-based row-major (.flat)
# indices i into an array of this shape.
index_of_flat <- function(i, shape) {
  if (length(shape) < 2L) {
    return(i + 1L)
  }
  # numpy's .flat on an (r, c) matrix: row i %/% c, column i %% c.
  (i %/% shape[2L]) + (i %% shape[2L]) * shape[1L] + 1L
}

# The plain numerical_gradient(f, w) at the sampled elements only: sample
# maps a weight's name to 0-based row-major indices (the reference of the
# sampled fixture cases, as tests/test_fast_gradient.py's).
sampled_numerical_gradient <- function(net, x, t, sample) {
  out <- lapply(names(sample), function(key) {
    w_all <- net$params[[key]]
    at <- index_of_flat(as.integer(unlist(sample[[key]])), shape_of(w_all))
    vapply(at, function(k) {
      loss_at <- function(w) {
        trial <- w_all
        trial[k] <- w[1L]
        params <- net$params
        params[[key]] <- trial
        loss(net, x, t, params)
      }
      numerical_gradient(loss_at, w_all[k])[1L]
    }, numeric(1))
  })
  names(out) <- names(sample)
  out
}

test_that("index_of_flat maps numpy's row-major .flat indices", {
  m <- matrix(1:12, 3, byrow = TRUE) # m[i, j] = its row-major position
  expect_identical(m[index_of_flat(0:11, dim(m))], 1:12)
  expect_identical(index_of_flat(c(0L, 4L), 5L), c(1L, 5L))
})

test_that("sampled numerical gradients equal the full ones there", {
  net <- TwoLayerNet(4, 3, 2, weight_init_std = 0.5, seed = 5)
  x <- matrix(uniform(rng(6), 20), 5)
  t <- c(0L, 1L, 1L, 0L, 1L)
  full <- numerical_gradient(net, x, t, method = "plain")
  sample <- list(W1 = list(0L, 5L, 11L), b2 = list(1L))
  got <- sampled_numerical_gradient(net, x, t, sample)
  expect_identical(got$W1, t(full$W1)[c(1, 6, 12)])
  expect_identical(got$b2, full$b2[2])
})

test_that("sgd_trajectory takes 0-based minibatches in order", {
  net <- TwoLayerNet(4, 3, 2, seed = 1)
  x <- matrix(uniform(rng(2), 24), 6)
  t <- c(0L, 1L, 1L, 0L, 1L, 0L)
  batches <- matrix(c(0L, 5L, 2L, 3L), 2, byrow = TRUE)
  p <- net$params
  for (b in list(c(1, 6), c(3, 4))) {
    p <- sgd_update(p, gradient(set_params(net, p), x[b, ], t[b]), 0.5)
  }
  expect_identical(sgd_trajectory(net$params, x, t, batches, 0.5), p)
})

test_that("the loaded modules have no undefined names (codetools)", {
  env <- new.env()
  sys.source(file.path(root, "r", "load.R"), envir = env)
  expect_identical(capture.output(codetools::checkUsageEnv(env)),
                   character(0))
})
