# Run one fixture case: the table from a function's name in the fixtures to
# the call it checks. Mirrors python/suite/cases.py.

test_functions <- list(
  function_1 = function(x) sum(0.01 * x^2 + 0.1 * x), # the book's (4.5), summed
  function_2 = function(x) sum(x^2), # the book's (4.6)
  # Not quadratic: its central difference depends on h.
  function_exp = function(x) sum(exp(x)),
  # The book's (4.6) at x1 = 4, in x0; and at x0 = 3, in x1.
  function_tmp1 = function(x) sum(x * x + 4^2),
  function_tmp2 = function(x) sum(3^2 + x * x)
)

# A net whose weights are exactly the given ones.
net_from <- function(params) {
  shape <- dim(params$W1)
  net <- TwoLayerNet(shape[1L], shape[2L], ncol(params$W2), seed = 0L)
  set_params(net, params)
}

# A SimpleNet holding the given W.
simple_net <- function(W) { # nolint: object_name_linter.
  net <- SimpleNet(seed = 0L)
  net$W <- W
  net
}

# The book's numerical_gradient(f, net$W), f reading the perturbed W given.
simple_net_gradient <- function(net, x, t) {
  numerical_gradient(function(W) loss(net, x, t, W), net$W) # nolint
}

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
# maps a weight's name to 0-based row-major indices.
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

# Backprop SGD over the given minibatches (a matrix of 0-based row indices,
# one row per step); the final params.
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

# The runners by R module (file base name): each
# r/tests/testthat/test-<module>.R sweeps the fixtures of its own functions.
runners_by_module <- list(
  functions = list(
    sigmoid = function(x) sigmoid(x),
    sigmoid_grad = function(x) sigmoid_grad(x),
    softmax = function(x) softmax(x),
    cross_entropy_error = function(y, t) cross_entropy_error(y, t),
    mean_squared_error = function(y, t) mean_squared_error(y, t)
  ),
  gradient = list(
    numerical_gradient = function(f, x) {
      numerical_gradient(test_functions[[f]], x)
    },
    gradient_descent = function(f, init_x, lr, step_num) {
      gradient_descent(test_functions[[f]], init_x, lr, step_num)
    },
    numerical_diff = function(f, x) numerical_diff(test_functions[[f]], x),
    gradient_descent_history = function(f, init_x, lr, step_num) {
      gradient_descent(test_functions[[f]], init_x, lr, step_num,
                       history = TRUE)
    }
  ),
  optimizer = list(
    sgd_update = function(params, grads, lr) sgd_update(params, grads, lr)
  ),
  rng = list(
    Rng.uniform = function(seed, n) uniform(rng(seed), n),
    Rng.normal = function(seed, n) normal(rng(seed), n),
    Rng.integers = function(seed, high, n) integers(rng(seed), high, n)
  ),
  two_layer_net = list(
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
    }
  ),
  cases = list(sgd_trajectory = sgd_trajectory),
  simple_net = list(
    SimpleNet.init = function(seed) SimpleNet(seed)$W,
    SimpleNet.predict = function(W, x) predict(simple_net(W), x), # nolint
    SimpleNet.loss = function(W, x, t) loss(simple_net(W), x, t), # nolint
    SimpleNet.numerical_gradient = function(W, x, t) { # nolint
      simple_net_gradient(simple_net(W), x, t)
    }
  )
)
runners <- do.call(c, unname(runners_by_module))
runner_modules <- setNames(rep(names(runners_by_module),
                               lengths(runners_by_module)), names(runners))

# The fixture functions (in manifest order) of one R module.
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

# Call the implementation of fn on a case's inputs (load_cases()): a double
# array or a named list of them.
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

# Results of every case of one function, named by case id; called from
# Python through rpy2 by the live parity layer.
run_function_cases <- function(fn, root = fixtures_root) {
  cases <- load_cases(fn, root)
  results <- lapply(cases, function(case) run_case(fn, case))
  names(results) <- vapply(cases, function(case) case$id, "")
  results
}

# Verdict of every case of one function against its expected values (the
# class bound, or identical bits when bitexact), named by case id.
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
