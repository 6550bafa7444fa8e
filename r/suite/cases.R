# Run one fixture case: the table from a function's name in the fixtures to
# the call it checks. Mirrors python/suite/cases.py.

test_functions <- list(
  function_1 = function(x) sum(0.01 * x^2 + 0.1 * x), # the book's (4.5), summed
  function_2 = function(x) sum(x^2), # the book's (4.6)
  # Not quadratic: its central difference depends on h.
  function_exp = function(x) sum(exp(x))
)

#' A net whose weights are exactly the given ones
#'
#' @param params Named list W1, b1, W2, b2.
#' @return A TwoLayerNet.
net_from <- function(params) {
  shape <- dim(params$W1)
  net <- TwoLayerNet(shape[1L], shape[2L], ncol(params$W2), seed = 0L)
  set_params(net, params)
}

#' R's linear index of 0-based row-major flat indices into an array
#'
#' @param i 0-based row-major (numpy .flat) indices.
#' @param shape Extents of the array.
#' @return 1-based column-major indices.
index_of_flat <- function(i, shape) {
  if (length(shape) < 2L) {
    return(i + 1L)
  }
  # numpy's .flat on an (r, c) matrix: row i %/% c, column i %% c.
  (i %/% shape[2L]) + (i %% shape[2L]) * shape[1L] + 1L
}

#' The plain numerical_gradient(f, w) at the sampled elements only
#'
#' @param net A TwoLayerNet.
#' @param x,t Batch and labels.
#' @param sample Named list: weight name -> 0-based row-major flat indices.
#' @return Named list of derivative vectors, one value per sampled index.
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

#' Backprop SGD over the given minibatches; the final params
#'
#' @param params Starting weights.
#' @param x,t Data and labels (one-hot rows or 0-based codes).
#' @param batch_indices Matrix of 0-based row indices, one row per step.
#' @param lr Learning rate.
#' @return Named list of final weights.
sgd_trajectory <- function(params, x, t, batch_indices, lr) {
  net <- net_from(params)
  if (!is.matrix(batch_indices)) {
    batch_indices <- matrix(batch_indices, nrow = 1L)
  }
  for (step in seq_len(nrow(batch_indices))) {
    batch <- batch_indices[step, ] + 1L
    t_batch <- if (is.matrix(t)) t[batch, , drop = FALSE] else t[batch]
    grads <- gradient(net, x[batch, , drop = FALSE], t_batch)
    net$params <- sgd_update(net$params, grads, lr)
  }
  net$params
}

runners <- list(
  sigmoid = function(x) sigmoid(x),
  sigmoid_grad = function(x) sigmoid_grad(x),
  softmax = function(x) softmax(x),
  cross_entropy_error = function(y, t) cross_entropy_error(y, t),
  mean_squared_error = function(y, t) mean_squared_error(y, t),
  numerical_gradient = function(f, x) {
    numerical_gradient(test_functions[[f]], x)
  },
  gradient_descent = function(f, init_x, lr, step_num) {
    gradient_descent(test_functions[[f]], init_x, lr, step_num)
  },
  sgd_update = function(params, grads, lr) sgd_update(params, grads, lr),
  Rng.uniform = function(seed, n) uniform(rng(seed), n),
  Rng.normal = function(seed, n) normal(rng(seed), n),
  Rng.integers = function(seed, high, n) integers(rng(seed), high, n),
  TwoLayerNet.init = function(input_size, hidden_size, output_size,
                              weight_init_std, seed) {
    TwoLayerNet(input_size, hidden_size, output_size, weight_init_std,
                seed)$params
  },
  TwoLayerNet.predict = function(params, x) predict(net_from(params), x),
  TwoLayerNet.loss = function(params, x, t) loss(net_from(params), x, t),
  TwoLayerNet.accuracy = function(params, x, t) {
    accuracy(net_from(params), x, t)
  },
  TwoLayerNet.gradient = function(params, x, t) {
    gradient(net_from(params), x, t)
  },
  TwoLayerNet.numerical_gradient = function(params, x, t) {
    numerical_gradient(net_from(params), x, t)
  },
  TwoLayerNet.numerical_gradient_plain = function(params, x, t) {
    numerical_gradient(net_from(params), x, t, method = "plain")
  },
  sgd_trajectory = sgd_trajectory
)

# The R module (file base name) each fixture function belongs to; each
# r/tests/testthat/test-<module>.R sweeps the fixtures of its own functions.
runner_modules <- c(
  sigmoid = "functions", sigmoid_grad = "functions", softmax = "functions",
  cross_entropy_error = "functions", mean_squared_error = "functions",
  numerical_gradient = "gradient", gradient_descent = "gradient",
  sgd_update = "optimizer", Rng.uniform = "rng", Rng.normal = "rng",
  Rng.integers = "rng", TwoLayerNet.init = "two_layer_net",
  TwoLayerNet.predict = "two_layer_net", TwoLayerNet.loss = "two_layer_net",
  TwoLayerNet.accuracy = "two_layer_net",
  TwoLayerNet.gradient = "two_layer_net",
  TwoLayerNet.numerical_gradient = "two_layer_net",
  TwoLayerNet.numerical_gradient_plain = "two_layer_net",
  sgd_trajectory = "cases"
)

#' The fixture functions (in manifest order) of one R module
#'
#' @param module A module's file base name ("functions", "rng", ...).
#' @param root The fixtures directory.
#' @return Character vector.
module_functions <- function(module, root = fixtures_root) {
  fns <- fixture_functions(root)
  fns[runner_modules[fns] %in% module]
}

# A result as doubles with its shape; a named list of such for maps.
as_result <- function(value) {
  if (is.list(value)) {
    return(lapply(value, as_result))
  }
  storage.mode(value) <- "double"
  value
}

#' Call the implementation of fn on a case's inputs
#'
#' @param fn Function name as in the fixtures.
#' @param case A decoded case (load_cases()).
#' @return A double array or a named list of them.
run_case <- function(fn, case) {
  runner <- runners[[fn]]
  if (is.null(runner)) {
    stop(sprintf("no R runner for fixture function '%s'", fn), call. = FALSE)
  }
  result <- do.call(runner, case$inputs)
  if (!is.null(case$sample)) {
    # Expected values exist at these row-major positions only.
    result <- lapply(names(case$sample), function(key) {
      w <- result[[key]]
      w[index_of_flat(as.integer(unlist(case$sample[[key]])), shape_of(w))]
    })
    names(result) <- names(case$sample)
  }
  as_result(result)
}

#' Results of every case of one function, named by case id
#'
#' Called from Python through rpy2 by the live parity layer.
#'
#' @param fn Function name as in the fixtures.
#' @param root The fixtures directory.
#' @return Named list: case id -> result.
run_function_cases <- function(fn, root = fixtures_root) {
  cases <- load_cases(fn, root)
  results <- lapply(cases, function(case) run_case(fn, case))
  names(results) <- vapply(cases, function(case) case$id, "")
  results
}

#' Verdict of every case of one function against its expected values
#'
#' The class bound, or identical bits when bitexact; used by the tests and
#' the error report.
#'
#' @inheritParams run_function_cases
#' @param policy The tolerance classes (load_policy()).
#' @param bitexact Require identical bits.
#' @return Named list: case id -> verdict.
check_function_cases <- function(fn, root = fixtures_root,
                                 policy = load_policy(root),
                                 bitexact = FALSE) {
  cases <- load_cases(fn, root)
  verdicts <- lapply(cases, function(case) {
    compare(run_case(fn, case), case$expected, policy[[case$tolerance]],
            case$err_scale, bitexact)
  })
  names(verdicts) <- vapply(cases, function(case) case$id, "")
  verdicts
}
