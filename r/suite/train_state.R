# The training state in a checkpoint (docs/robust_training.md): W1 b1 W2
# b2, then iterations_done [1], batch_rng [6], losses [n], evals [k, 4];
# checked when read. Mirrors the state half of python/suite/checkpoint.py.

state_keys <- c("iterations_done", "batch_rng", "losses", "evals")

#' A training state (a list): where a run stands after iterations 0..n-1
#'
#' @param params The weights after update n-1 (W1, b1, W2, b2).
#' @param iterations_done n.
#' @param batch_rng The minibatch generator's s1, s2 after those draws.
#' @param losses The minibatch losses of iterations 0..n-1.
#' @param evals Rows (epoch, iter, train_acc, test_acc) of evaluations < n.
train_state <- function(params, iterations_done, batch_rng, losses, evals) {
  list(params = params, iterations_done = iterations_done,
       batch_rng = batch_rng, losses = losses, evals = evals)
}

#' The checkpoint arrays of a state: W1 b1 W2 b2 iterations_done [1]
#' batch_rng [6] losses [n] evals [k, 4]
#'
#' @param state From train_state().
encode_state <- function(state) {
  c(state$params[param_keys],
    list(iterations_done = as.double(state$iterations_done),
         batch_rng = as.double(state$batch_rng),
         losses = as.double(state$losses),
         evals = matrix(as.double(state$evals), ncol = 4L)))
}

# Are all values whole numbers in lo..hi?
whole <- function(values, lo, hi) {
  all(is.finite(values) & values == floor(values) & values >= lo &
        values <= hi)
}

# Are these six doubles a generator's state: s1 (mod m1), then s2 (mod m2)?
generator_words <- function(words) {
  has_shape(words, 6L) && is_state(words[1:3], m1) && is_state(words[4:6], m2)
}

#' A train_state() from checkpoint arrays, each state array checked
#'
#' @param arrays Named list from decode_checkpoint().
#' @param source Name for error messages.
decode_state <- function(arrays, source) {
  missing <- setdiff(c(param_keys, state_keys), names(arrays))
  if (length(missing) > 0L) {
    checkpoint_error(source, paste(
      "holds no training state (missing %s); only a checkpoint written by a",
      "training run can be resumed"
    ), paste(missing, collapse = " "))
  }
  done <- arrays$iterations_done
  words <- arrays$batch_rng
  if (!has_shape(done, 1L) || !whole(done, 0, 2^53)) {
    checkpoint_error(source, "iterations_done must be one integer >= 0, got %s",
                     toString(done))
  }
  if (!generator_words(words)) {
    checkpoint_error(source, "batch_rng must be 6 generator words, got %s",
                     toString(words))
  }
  if (!has_shape(arrays$losses, done)) {
    checkpoint_error(source, paste(
      "losses must have iterations_done = %.0f values, got shape (%s)"
    ), done, toString(shape_of(arrays$losses)))
  }
  evals <- arrays$evals
  if (!is.matrix(evals) || ncol(evals) != 4L ||
        !whole(evals[, 1:2], 0, 2^53)) {
    checkpoint_error(source, paste(
      "evals must be rows (epoch, iter, train_acc, test_acc), got shape (%s)"
    ), toString(shape_of(evals)))
  }
  train_state(arrays[param_keys], done, words, arrays$losses, evals)
}

#' The train_state() in out/checkpoint.bin
#'
#' @param out Run directory.
load_state <- function(out) {
  path <- file.path(out, "checkpoint.bin")
  if (!file.exists(path)) {
    checkpoint_error(path, paste("cannot read (file not found); nothing to",
                                 "resume, start again with --force"))
  }
  decode_state(load_checkpoint(path), path)
}

#' Refuse a state that does not belong to a run with these flags and shapes
#'
#' @param state From train_state().
#' @param flags The run's flags (iters, eval_every).
#' @param shapes The net's weight shapes (net$shapes).
#' @param source Name for error messages.
check_state_fits <- function(state, flags, shapes, source) {
  for (key in param_keys) {
    if (!has_shape(state$params[[key]], shapes[[key]])) {
      checkpoint_error(source, "%s has shape (%s), the run's net needs (%s)",
                       key, toString(shape_of(state$params[[key]])),
                       toString(shapes[[key]]))
    }
  }
  n <- state$iterations_done
  every <- flags$eval_every
  if (n > flags$iters) {
    checkpoint_error(source, "iterations_done %.0f exceeds the run's %s %d",
                     n, "--iters", flags$iters)
  }
  expected <- if (n > 0) seq(0, n - 1, by = every) else numeric(0)
  if (!identical(as.vector(state$evals[, 2L]), expected) ||
        !identical(as.vector(state$evals[, 1L]), expected %/% every)) {
    checkpoint_error(source, paste(
      "evals do not list the evaluations before iteration %.0f (every %d)"
    ), n, every)
  }
  if (!all(is.finite(state$losses))) {
    checkpoint_error(source, "losses hold a non-finite value")
  }
  invisible(NULL)
}
