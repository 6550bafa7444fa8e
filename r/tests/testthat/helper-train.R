# Shared set-up of the training tests (test-train*.R): the project loaded
# once here (at_update() replaces its sgd_update), small MNIST-format
# directories, and main() run with its output captured.

root <- normalizePath(testthat::test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
here <- environment()

outputs <- sort(c("checkpoint.bin", "curves.png", "epochs.csv", "metrics.csv",
                  "run.json", "summary.json"))

# Class templates plus noise: 200 training and 50 test images.
write_learnable <- function(d) {
  gen <- rng(42)
  templates <- array(integers(gen, 256, 10 * 784), c(10, 28, 28))
  dir.create(d, recursive = TRUE, showWarnings = FALSE)
  for (set in list(list("train", 200L, TRUE), list("t10k", 50L, FALSE))) {
    n <- set[[2]]
    labels <- integers(gen, 10, n)
    noise <- array(integers(gen, 121, n * 784) - 60L, c(n, 28, 28))
    images <- pmin(pmax(templates[labels + 1L, , , drop = FALSE] + noise, 0),
                   255)
    suffix <- if (set[[3]]) ".gz" else ""
    write_idx(file.path(d, paste0(set[[1]], "-images-idx3-ubyte", suffix)),
              images, set[[3]])
    write_idx(file.path(d, paste0(set[[1]], "-labels-idx1-ubyte", suffix)),
              labels, set[[3]])
  }
  d
}

common <- function(data_dir, out, ...) {
  c("--data-dir", data_dir, "--out", out, "--iters", "30", "--batch-size",
    "20", "--quiet", ...)
}

# main() with stdout and stderr (messages) captured: list(status, out, err).
run_main <- function(args) {
  status <- NULL
  err <- new.env()
  err$lines <- character()
  out <- utils::capture.output(withCallingHandlers(
    status <- main(args),
    message = function(m) {
      err$lines <- c(err$lines, sub("\n$", "", conditionMessage(m)))
      invokeRestart("muffleMessage")
    }
  ))
  list(status = status, out = out, err = err$lines)
}

# The CLI's stderr, which must be exactly one line.
error_line <- function(ran) {
  expect_length(ran$err, 1L)
  ran$err[[1L]]
}

read_file <- function(path) readBin(path, "raw", file.size(path))

listing <- function(d) sort(list.files(d, all.files = TRUE, no.. = TRUE))

# The bytes of the files a resumed run must reproduce.
state_files <- function(out) {
  lapply(stats::setNames(nm = c("metrics.csv", "epochs.csv",
                                "checkpoint.bin")),
         function(f) read_file(file.path(out, f)))
}

# summary.json without what may differ between a run and its resumed twin.
comparable <- function(out) {
  summary <- jsonlite::fromJSON(file.path(out, "summary.json"),
                                simplifyVector = FALSE)
  summary$flags$out <- NULL
  summary$timing <- NULL
  summary$resumed_from <- NULL
  summary
}

# Make call k + 1 of sgd_update (iteration k of this run) hand its result to
# action instead of returning it; undone when the calling test ends.
at_update <- function(k, action, frame = parent.frame()) {
  real <- here$sgd_update
  calls <- new.env()
  calls$n <- 0L
  here$sgd_update <- function(params, grads, lr) {
    new <- real(params, grads, lr)
    calls$n <- calls$n + 1L
    if (calls$n == k + 1L) action(new) else new
  }
  withr::defer(here$sgd_update <- real, envir = frame)
}

# What ^C does to R code: an "interrupt" condition.
interrupt <- function(...) {
  signalCondition(structure(class = c("interrupt", "condition"),
                            list(message = "", call = NULL)))
}

# A state after 3 iterations of a 4-3-2 net, evaluated every 2 iterations.
small_state <- function() {
  gen <- rng(5)
  params <- list(W1 = matrix(normal(gen, 12), 4), b1 = normal(gen, 3),
                 W2 = matrix(normal(gen, 6), 3), b2 = c(0.5, -0.25))
  batches <- rng(6)
  integers(batches, 10, 3 * 2)
  train_state(params, 3, c(batches$s1, batches$s2), c(2.5, 1 / 3, 0.1),
              rbind(c(0, 0, 0.5, 0.25), c(1, 2, 0.75, 1 / 3)))
}

small_shapes <- function() {
  list(W1 = c(4L, 3L), b1 = 3L, W2 = c(3L, 2L), b2 = 2L)
}

expect_condition_class <- function(expr, class, pattern) {
  err <- tryCatch(expr, condition = identity)
  expect_s3_class(err, class)
  expect_match(conditionMessage(err), pattern)
}
