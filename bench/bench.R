# Timings of the R mirror for `make bench`: prints one JSON object.
# Usage: Rscript bench/bench.R REPEATS STEPS

args <- as.integer(commandArgs(trailingOnly = TRUE))
repeats <- args[1L]
steps <- args[2L]
source("r/load.R")

gen <- rng(1L)
x <- matrix(integers(gen, 256L, 100L * 784L) / 255, nrow = 100L, byrow = TRUE)
t <- integers(gen, 10L, 100L)
# The net lives in an environment so that a timed step can replace it.
state <- new.env()
state$net <- TwoLayerNet(784L, 50L, 10L, seed = 0L)

elapsed <- function(expr_fn, times) {
  start <- proc.time()[["elapsed"]]
  for (i in seq_len(times)) expr_fn()
  (proc.time()[["elapsed"]] - start) / times * 1000
}

step <- function() {
  net <- state$net
  net$params <- sgd_update(net$params, gradient(net, x, t), 0.1)
  state$net <- net
}
invisible(elapsed(step, 20L))
step_ms <- vapply(seq_len(repeats), function(i) elapsed(step, steps), 0)

# The plain definition (the book's loop): two full losses per weight, timed
# on all of W2 and given per element.
plain_w2 <- function() {
  net <- state$net
  numerical_gradient(function(w) {
    p <- net$params
    p$W2 <- w
    loss(net, x, t, p)
  }, net$params$W2)
}
book_ms <- vapply(seq_len(3L), function(i) elapsed(plain_w2, 1L) / 500, 0)
series_ms <- vapply(seq_len(repeats), function(i) {
  elapsed(function() series_numerical_gradient(state$net$params, x, t), 3L)
}, 0)

cat(jsonlite::toJSON(list(
  blas = unname(extSoftVersion()["BLAS"]), step_ms = step_ms,
  book_ms_per_element = book_ms, series_ms = series_ms
), digits = NA, auto_unbox = TRUE), "\n")
