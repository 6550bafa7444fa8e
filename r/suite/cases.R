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

# Backprop SGD over the given minibatches (a matrix of 0-based row indices,
# one row per step); the final params.
sgd_trajectory <- function(params, x, t, batch_indices, lr) {
  net <- net_from(params)
  for (step in seq_len(nrow(batch_indices))) {
    batch <- batch_indices[step, ] + 1L
    t_batch <- if (is.matrix(t)) t[batch, , drop = FALSE] else t[batch]
    grads <- gradient(net, x[batch, , drop = FALSE], t_batch)
    net$params <- sgd_update(net$params, grads, lr)
  }
  net$params
}

runners <- list(
  sigmoid = sigmoid,
  sigmoid_grad = sigmoid_grad,
  softmax = softmax,
  cross_entropy_error = cross_entropy_error,
  mean_squared_error = mean_squared_error,
  numerical_gradient = function(f, x) {
    numerical_gradient(test_functions[[f]], x)
  },
  gradient_descent = function(f, init_x, lr, step_num) {
    gradient_descent(test_functions[[f]], init_x, lr, step_num)
  },
  numerical_diff = function(f, x) numerical_diff(test_functions[[f]], x),
  gradient_descent_history = function(f, init_x, lr, step_num) {
    gradient_descent(test_functions[[f]], init_x, lr, step_num, history = TRUE)
  },
  sgd_update = sgd_update,
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
  sgd_trajectory = sgd_trajectory,
  SimpleNet.init = function(seed) SimpleNet(seed)$W,
  SimpleNet.predict = function(W, x) predict(simple_net(W), x), # nolint
  SimpleNet.loss = function(W, x, t) loss(simple_net(W), x, t), # nolint
  SimpleNet.numerical_gradient = function(W, x, t) { # nolint
    simple_net_gradient(simple_net(W), x, t)
  }
)

# Call the implementation of fn on a case's inputs (load_cases()): a double
# array or a named list of them.
run_case <- function(fn, case) {
  runner <- runners[[fn]]
  if (is.null(runner)) {
    stop(sprintf("no R runner for fixture function '%s'", fn), call. = FALSE)
  }
  result <- do.call(runner, case$inputs)
  if (!is.null(case$sample)) {
    # Expected values exist at these row-major positions only: t(w) lays
    # them out in R's column-major order.
    result <- Map(function(w, at) t(w)[unlist(at) + 1L],
                  result[names(case$sample)], case$sample)
  }
  if (is.list(result)) lapply(result, as_double) else as_double(result)
}

# value as doubles, its shape kept.
as_double <- function(value) {
  storage.mode(value) <- "double"
  value
}
