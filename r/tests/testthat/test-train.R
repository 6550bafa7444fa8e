# The training CLI on small MNIST-format directories: outputs, determinism,
# refusals, flags, interruptions, resume, divergence, and the same run in
# Python. Mirrors tests/test_train.py.

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

test_that("--data-dir training writes six consistent outputs", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  out <- file.path(withr::local_tempdir(), "run")
  ran <- run_main(common(data_dir, out, "--seed", "3"))
  expect_identical(ran$status, 0L)
  expect_identical(ran$err, character(0))
  expect_identical(listing(out), outputs) # no temporary files left
  metrics <- utils::read.csv(file.path(out, "metrics.csv"))
  expect_identical(names(metrics), c("iter", "loss"))
  expect_identical(metrics$iter, 0:29)
  epochs <- utils::read.csv(file.path(out, "epochs.csv"))
  # One epoch = 200 / 20 = 10 iterations: after the update of i = 0, 10, 20.
  expect_identical(epochs$epoch, 0:2)
  expect_identical(epochs$iter, c(0L, 10L, 20L))
  expect_length(grep("^train acc, test acc \\| 0\\.\\d{4}, 0\\.\\d{4}$",
                     ran$out), 3L)
  summary <- jsonlite::fromJSON(file.path(out, "summary.json"),
                                simplifyVector = FALSE)
  expect_identical(summary$flags, list(
    iters = 30L, batch_size = 20L, lr = 0.1, hidden = 50L,
    weight_init_std = 0.01, seed = 3L, grad = "backprop", eval_every = 10L,
    dataset = "fashion-mnist", data_dir = data_dir, download = FALSE,
    out = out, train_limit = NULL, checkpoint_in = NULL, quiet = TRUE,
    force = FALSE, resume = NULL
  ))
  expect_identical(summary$status, "complete")
  expect_null(summary$resumed_from)
  expect_true("resumed_from" %in% names(summary))
  run_json <- jsonlite::fromJSON(file.path(out, "run.json"),
                                 simplifyVector = FALSE)
  expect_identical(run_json$language, "R")
  expect_identical(run_json$flags, summary$flags)
  expect_identical(summary$batch_generator, "Rng(4)")
  expect_identical(c(summary$data$train_size, summary$data$test_size),
                   c(200L, 50L))
  for (key in names(summary$data$files)) {
    f <- summary$data$files[[key]]
    expect_identical(f$sha256, sha256_file(f$path))
    expect_identical(run_json$data_files[[key]], f$sha256)
  }
  expect_identical(summary$final_loss, metrics$loss[[30]])
  expect_identical(summary$versions$language, "R")
  expect_true(all(c("wall_seconds", "seconds_per_iteration") %in%
                    names(summary$timing)))
  # The checkpoint holds the final weights (they give the final accuracies)
  # and the training state.
  state <- load_state(out)
  expect_identical(state$iterations_done, 30)
  expect_identical(state$losses, metrics$loss)
  expect_identical(state$evals[, 2L], c(0, 10, 20))
  expect_identical(state$evals[, 4L], epochs$test_acc)
  batches <- rng(4)
  integers(batches, 200, 30 * 20)
  expect_identical(state$batch_rng, c(batches$s1, batches$s2))
  data <- load_dataset(data_dir)
  net <- TwoLayerNet(784, 50, 10, seed = 0)
  net$params <- state$params
  expect_identical(count_correct(net, data$x_test, data$t_test) / 50,
                   summary$final_test_acc)
  expect_identical(count_correct(net, data$x_train, data$t_train) / 200,
                   summary$final_train_acc)
  png_magic <- as.raw(c(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))
  expect_identical(read_file(file.path(out, "curves.png"))[1:8], png_magic)
})

test_that("same seed gives the same bytes, another seed another run", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  for (run in list(c("a", "5"), c("b", "5"), c("c", "6"))) {
    ran <- run_main(common(data_dir, file.path(d, run[[1]]), "--seed",
                           run[[2]]))
    expect_identical(ran$status, 0L)
  }
  expect_identical(state_files(file.path(d, "a")),
                   state_files(file.path(d, "b")))
  expect_false(identical(read_file(file.path(d, "a", "metrics.csv")),
                         read_file(file.path(d, "c", "metrics.csv"))))
})

test_that("an earlier run is never overwritten, only replaced with --force", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  out <- file.path(d, "run")
  expect_identical(run_main(common(data_dir, out, "--seed", "9"))$status, 0L)
  before <- lapply(file.path(out, outputs), read_file)
  ran <- run_main(common(data_dir, out))
  expect_identical(ran$status, 2L)
  expect_identical(error_line(ran), paste0(
    "train: error: ", out, " holds an earlier run (run.json metrics.csv ",
    "epochs.csv summary.json checkpoint.bin curves.png); pass --force to ",
    "overwrite it or --resume ", out, " to continue it"
  ))
  expect_identical(lapply(file.path(out, outputs), read_file), before)
  # Any one of the run files marks an earlier run.
  dir.create(file.path(d, "one"))
  writeLines("x", file.path(d, "one", "curves.png"))
  ran <- run_main(common(data_dir, file.path(d, "one")))
  expect_identical(ran$status, 2L)
  expect_match(error_line(ran), "one holds an earlier run \\(curves.png\\)")
  expect_identical(readLines(file.path(d, "one", "curves.png")), "x")
  # --force: the earlier run and stale temporaries go, other files stay.
  expect_identical(run_main(common(data_dir, file.path(d, "ref")))$status, 0L)
  writeLines("stale", file.path(out, "summary.json"))
  writeLines("half a file", file.path(out, ".metrics.csv.abc123.tmp"))
  writeLines("mine", file.path(out, "notes.txt"))
  expect_identical(run_main(common(data_dir, out, "--force"))$status, 0L)
  expect_identical(listing(out), sort(c(outputs, "notes.txt")))
  expect_identical(state_files(out), state_files(file.path(d, "ref")))
  summary <- jsonlite::fromJSON(file.path(out, "summary.json"))
  expect_true(summary$flags$force)
})

test_that("bad flags exit 2 with one line naming the flag, nothing written", {
  d <- withr::local_tempdir()
  bad <- list(
    list(c("--iters", "0"), "--iters must be at least 1, got 0"),
    list(c("--batch-size", "-1"), "--batch-size must be at least 1, got -1"),
    list(c("--hidden", "0"), "--hidden must be at least 1, got 0"),
    list(c("--eval-every", "0"), "--eval-every must be at least 1, got 0"),
    list(c("--train-limit", "0"), "--train-limit must be at least 1, got 0"),
    list(c("--lr", "0"), "--lr must be a finite number > 0, got 0.0"),
    list(c("--lr", "-0.1"), "--lr must be a finite number > 0, got -0.1"),
    list(c("--lr", "nan"), "--lr must be a finite number > 0, got nan"),
    list(c("--lr", "inf"), "--lr must be a finite number > 0, got inf"),
    list(c("--lr", "1e400"), "--lr must be a finite number > 0, got inf"),
    list(c("--weight-init-std", "-1"),
         "--weight-init-std must be a finite number >= 0, got -1.0"),
    list(c("--weight-init-std", "nan"),
         "--weight-init-std must be a finite number >= 0, got nan"),
    list(c("--seed", "2147483647"),
         "--seed must be in 0..2147483646, got 2147483647"),
    list(c("--seed", "-1"), "--seed must be in 0..2147483646, got -1"),
    list(c("--grad", "finite"), paste(
      "argument --grad: invalid choice: 'finite'",
      "(choose from 'backprop', 'numerical')"
    )),
    list(c("--iters", "ten"), "argument --iters: invalid int value: 'ten'"),
    list(c("--iters", "1.5"), "argument --iters: invalid int value: '1.5'"),
    list(c("--lr", "0x10"), "argument --lr: invalid float value: '0x10'"),
    list("--download", "--download is only available with --dataset mnist"),
    list("--bogus", "unrecognized arguments: --bogus"),
    list("stray", "unrecognized arguments: stray"),
    list(c("--quiet", "--iters"), "argument --iters: expected one argument"),
    list("--quiet=yes", "argument --quiet: ignored explicit argument 'yes'"),
    list(c("--resume", "somewhere", "--iters", "5"),
         "only --quiet may be given with it, got --iters"),
    list(c("--resume", "somewhere", "--force"),
         "only --quiet may be given with it, got --force")
  )
  for (case in bad) {
    ran <- run_main(c("--out", file.path(d, "x"), case[[1]]))
    expect_identical(ran$status, 2L)
    line <- error_line(ran)
    expect_true(startsWith(line, "train: error: "))
    expect_true(grepl(case[[2]], line, fixed = TRUE), label = line)
  }
  expect_false(file.exists(file.path(d, "x")))
  # Values as argparse reads them: --flag=value, negative numbers, spaces.
  expect_identical(given_flags(c("--lr=-1e-3", "--iters", "-7")),
                   list(lr = "-1e-3", iters = "-7"))
  expect_identical(parse_train_args(c("--iters", " 7 ", "--lr", "1E2"))[
    c("iters", "lr")
  ], list(iters = 7L, lr = 100))
})

test_that("data errors exit 2 with one line naming the file, nothing written", {
  d <- withr::local_tempdir()
  data_dir <- write_learnable(file.path(d, "data"))
  cases <- list(
    list(c("--train-limit", "201"),
         "--train-limit 201 exceeds the 200 training images"),
    list(c("--batch-size", "101", "--train-limit", "100"), paste(
      "--batch-size 101 exceeds the 100 training images (after",
      "--train-limit)"
    )),
    list(c("--batch-size", "201"),
         "--batch-size 201 exceeds the 200 training images")
  )
  for (case in cases) {
    ran <- run_main(common(data_dir, file.path(d, "a"), case[[1]]))
    expect_identical(ran$status, 2L)
    expect_true(grepl(case[[2]], error_line(ran), fixed = TRUE))
  }
  labels <- file.path(data_dir, "t10k-labels-idx1-ubyte")
  writeBin(as.raw(c(0, 0, 8, 1, 0, 0, 0, 50)), labels)
  ran <- run_main(common(data_dir, file.path(d, "b")))
  expect_identical(ran$status, 2L)
  expect_true(startsWith(error_line(ran),
                         paste0("train: error: ", labels, ": truncated")))
  unlink(labels)
  ran <- run_main(common(data_dir, file.path(d, "b")))
  expect_identical(ran$status, 2L)
  expect_match(error_line(ran), "t10k-labels-idx1-ubyte: file not found")
  expect_false(any(file.exists(file.path(d, c("a", "b")))))
  # An --out that cannot be a directory: one line, R's warning for reason.
  write_learnable(data_dir)
  writeLines("x", file.path(d, "file"))
  ran <- run_main(common(data_dir, file.path(d, "file", "run")))
  expect_identical(ran$status, 2L)
  expect_match(error_line(ran), paste0(
    "^train: error: --out .*/file/run: cannot create or write this ",
    "directory \\(cannot create dir .*Not a directory'\\)$"
  ))
})

test_that("--checkpoint-in takes a checkpoint's weights, or refuses it", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  expect_identical(run_main(common(data_dir, file.path(d, "a"),
                                   "--train-limit", "100"))$status, 0L)
  summary <- jsonlite::fromJSON(file.path(d, "a", "summary.json"))
  expect_identical(summary$data$train_size, 100L)
  expect_identical(summary$flags$eval_every, 5L)
  # With a learning rate too small to move any weight, training ends at the
  # starting weights; the training checkpoint's extra arrays are ignored.
  ckpt <- file.path(d, "a", "checkpoint.bin")
  ran <- run_main(common(data_dir, file.path(d, "b"), "--checkpoint-in",
                         ckpt, "--lr", "1e-300"))
  expect_identical(ran$status, 0L)
  weights <- function(path) load_checkpoint(path)[param_keys]
  expect_identical(weights(file.path(d, "b", "checkpoint.bin")),
                   weights(ckpt))
  save_checkpoint(file.path(d, "wrong.bin"), list(W1 = diag(3)))
  save_checkpoint(file.path(d, "shape.bin"),
                  lapply(stats::setNames(nm = param_keys), function(k) {
                    diag(3)
                  }))
  writeBin(utils::head(read_file(ckpt), -1L), file.path(d, "bad.bin"))
  refused <- c("wrong.bin" = "wrong.bin: has no b1 W2 b2",
               "shape.bin" = "shape.bin: does not fit the net",
               "bad.bin" = "bad.bin: truncated")
  for (name in names(refused)) {
    ran <- run_main(common(data_dir, file.path(d, "c"), "--checkpoint-in",
                           file.path(d, name)))
    expect_identical(ran$status, 2L)
    expect_true(grepl(refused[[name]], error_line(ran), fixed = TRUE))
  }
  expect_false(file.exists(file.path(d, "c")))
})

test_that("Rscript r/train.R prints plain progress when piped", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  out <- file.path(withr::local_tempdir(), "run")
  lines <- system2("Rscript", c(file.path(root, "r", "train.R"), "--data-dir",
                                data_dir, "--out", out, "--iters", "20",
                                "--batch-size", "20"), stdout = TRUE)
  expect_true(any(grepl("^iter 20/20 \\(100%\\) loss .* eta 0s$", lines)))
  expect_length(grep("^train acc, test acc \\| ", lines), 2L)
})

# Interruptions, resume and divergence (docs/robust_training.md).
resume_flags <- c("--iters", "250", "--batch-size", "20", "--eval-every",
                  "10", "--seed", "4")

test_that("interrupted runs resume to the same bytes", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  reference <- file.path(d, "reference")
  expect_identical(run_main(common(data_dir, reference, resume_flags))$status,
                   0L)
  cases <- list(list(0, 0), list(7, 0), list(10, 10), list(137, 130),
                list(249, 240), list(c(57, 103), c(50, 100)))
  for (case in cases) {
    out <- file.path(d, paste0("run", paste(case[[1]], collapse = "-")))
    stops <- case[[1]]
    checkpoints <- case[[2]]
    for (run in seq_along(stops)) {
      local({
        started_at <- if (run > 1L) checkpoints[[run - 1L]] else 0
        at_update(stops[[run]] - started_at, interrupt)
        args <- if (run == 1L) {
          common(data_dir, out, resume_flags)
        } else {
          c("--resume", out)
        }
        ran <- run_main(args)
        expect_identical(ran$status, 130L)
        expect_identical(error_line(ran), sprintf(paste(
          "train: interrupted; last checkpoint at iteration %d in %s;",
          "continue with: Rscript r/train.R --resume %s"
        ), checkpoints[[run]], out, out))
      })
      expect_false(file.exists(file.path(out, "summary.json")))
      state <- load_state(out)
      expect_identical(state$iterations_done, checkpoints[[run]])
      expect_length(state$losses, checkpoints[[run]])
    }
    writeLines("left by a SIGKILL", file.path(out, ".checkpoint.bin.k3j.tmp"))
    ran <- run_main(c("--resume", out, "--quiet"))
    expect_identical(ran$status, 0L)
    expect_false(any(grepl("resuming", ran$out))) # --quiet
    expect_identical(listing(out), outputs) # the stale temporary is gone
    expect_identical(state_files(out), state_files(reference))
    expect_identical(comparable(out), comparable(reference))
    summary <- jsonlite::fromJSON(file.path(out, "summary.json"))
    expect_identical(summary$resumed_from, as.integer(checkpoints[[
      length(checkpoints)
    ]]))
  }
})

test_that("an interrupt while writing the outputs leaves the final state", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  expect_identical(run_main(common(data_dir, file.path(d, "ref"),
                                   resume_flags))$status, 0L)
  out <- file.path(d, "run")
  local({
    real <- here$write_outputs
    here$write_outputs <- interrupt
    withr::defer(here$write_outputs <- real)
    ran <- run_main(common(data_dir, out, resume_flags))
    expect_identical(ran$status, 130L)
    expect_match(error_line(ran), "last checkpoint at iteration 250 in")
  })
  ran <- run_main(c("--resume", out))
  expect_identical(ran$status, 0L)
  expect_true(any(grepl(paste("resuming", out, "at iteration 250 of 250"),
                        ran$out, fixed = TRUE)))
  expect_identical(state_files(out), state_files(file.path(d, "ref")))
  expect_identical(jsonlite::fromJSON(file.path(out, "summary.json"))$
                     resumed_from, 250L)
})

test_that("resume of a complete run says so and writes nothing", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  out <- file.path(withr::local_tempdir(), "run")
  expect_identical(run_main(common(data_dir, out))$status, 0L)
  before <- lapply(file.path(out, outputs), function(f) {
    list(read_file(f), file.mtime(f))
  })
  ran <- run_main(c("--resume", out))
  expect_identical(ran$status, 0L)
  expect_identical(ran$out, paste0(
    out, ": the run is already complete (30 iterations); nothing to do"
  ))
  expect_identical(lapply(file.path(out, outputs), function(f) {
    list(read_file(f), file.mtime(f))
  }), before)
})

test_that("resume refuses changed data, a bad state, a missing run", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  out <- file.path(d, "run")
  local({
    at_update(33, interrupt)
    expect_identical(run_main(common(data_dir, out, resume_flags))$status,
                     130L)
  })
  ckpt <- file.path(out, "checkpoint.bin")
  good <- read_file(ckpt)
  labels <- file.path(data_dir, "t10k-labels-idx1-ubyte")
  original <- read_file(labels)
  changed <- original
  n <- length(changed)
  changed[n] <- as.raw((as.integer(changed[n]) + 1L) %% 10L)
  writeBin(changed, labels)
  ran <- run_main(c("--resume", out))
  expect_identical(ran$status, 2L)
  expect_true(startsWith(error_line(ran),
                         paste0("train: error: ", labels, ": SHA-256 ")))
  expect_match(error_line(ran), "differs from the .* recorded in")
  writeBin(original, labels)
  flipped <- good
  flipped[length(good) - 4L] <- xor(flipped[length(good) - 4L], as.raw(1L))
  writeBin(flipped, ckpt)
  refusals <- list(
    function() NULL, "checkpoint.bin: array evals fails its SHA-256 check",
    function() save_checkpoint(ckpt, decode_checkpoint(good)[param_keys]),
    paste("holds no training state (missing iterations_done batch_rng",
          "losses evals)"),
    function() unlink(ckpt), "checkpoint.bin: cannot read"
  )
  for (k in seq(1L, length(refusals), by = 2L)) {
    refusals[[k]]()
    ran <- run_main(c("--resume", out))
    expect_identical(ran$status, 2L)
    expect_true(grepl(refusals[[k + 1L]], error_line(ran), fixed = TRUE),
                label = error_line(ran))
  }
  ran <- run_main(c("--resume", file.path(d, "nowhere")))
  expect_identical(ran$status, 2L)
  expect_match(error_line(ran), "nowhere/run.json: not found")
  writeBin(good, ckpt)
  expect_identical(run_main(c("--resume", out, "--quiet"))$status, 0L)
})

test_that("divergence exits 3 with the state of the last good iteration", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  out <- file.path(d, "run")
  # lr 1e308 overflows the weights: the loss is NaN from iteration 1 on (lr
  # 100 would not do it: the 1e-7 guard bounds the loss by 16.1).
  ran <- run_main(common(data_dir, out, "--lr", "1e308"))
  expect_identical(ran$status, 3L)
  expect_identical(error_line(ran), paste0(
    "train: error: training diverged at iteration 1: minibatch loss nan; ",
    "the last good state (iteration 1) is in ", out
  ))
  ref <- file.path(d, "one")
  expect_identical(run_main(common(data_dir, ref, "--lr", "1e308", "--iters",
                                   "1"))$status, 0L)
  expect_identical(state_files(out), state_files(ref))
  summary <- jsonlite::fromJSON(file.path(out, "summary.json"),
                                simplifyVector = FALSE)
  expect_identical(summary[c("status", "diverged_at", "diverged_loss")],
                   list(status = "diverged", diverged_at = 1L,
                        diverged_loss = "nan"))
  expect_null(summary$final_test_acc)
  expect_identical(listing(out), setdiff(outputs, "curves.png"))
  # Resumed, it diverges again at the same iteration, the state unchanged.
  before <- state_files(out)
  expect_identical(run_main(c("--resume", out, "--quiet"))$status, 3L)
  expect_identical(state_files(out), before)
  # Weights that overflow in the gradient (the R net's NumericalError) are a
  # non-finite loss at that iteration.
  local({
    real <- here$gradient_columns
    calls <- new.env()
    calls$n <- 0L
    here$gradient_columns <- function(net, xt, t) {
      calls$n <- calls$n + 1L
      if (calls$n == 8L) dlfs_abort("numerical_error", "predictions are NaN")
      real(net, xt, t)
    }
    withr::defer(here$gradient_columns <- real)
    ran <- run_main(common(data_dir, file.path(d, "grad")))
    expect_identical(ran$status, 3L)
    expect_match(error_line(ran), "diverged at iteration 7: minibatch loss nan")
  })
  expect_identical(run_main(common(data_dir, file.path(d, "seven"), "--iters",
                                   "7"))$status, 0L)
  expect_identical(state_files(file.path(d, "grad")),
                   state_files(file.path(d, "seven")))
  # Such weights count no row in an evaluation.
  local({
    real <- here$forward
    here$forward <- function(...) dlfs_abort("numerical_error", "NaN")
    withr::defer(here$forward <- real)
    expect_identical(count_correct(NULL, matrix(0, 784, 3), 0:2), 0)
  })
  # The library's condition carries the iteration.
  utils::capture.output(err <- tryCatch(
    run_training(parse_train_args(common(data_dir, file.path(d, "lib"),
                                         "--lr", "1e308"))),
    dlfs_diverged_error = identity
  ))
  expect_identical(err$iteration, 1L)
})

test_that("a real SIGINT exits 130 at a complete checkpoint", {
  skip_on_os("windows")
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  out <- file.path(withr::local_tempdir(), "run")
  proc <- processx::process$new(
    "Rscript", c(file.path(root, "r", "train.R"),
                 common(data_dir, out, "--iters", "1000000", "--eval-every",
                        "10")),
    stderr = file.path(dirname(out), "stderr.txt")
  )
  withr::defer(if (proc$is_alive()) proc$kill())
  # Wait (bounded) until training has written a few checkpoints.
  done <- function() {
    tryCatch(load_state(out)$iterations_done, error = function(e) 0)
  }
  for (poll in 1:600) {
    if (done() >= 30 || !proc$is_alive()) break
    Sys.sleep(0.1)
  }
  expect_gte(done(), 30)
  proc$interrupt()
  proc$wait(60000)
  expect_identical(proc$get_exit_status(), 130L)
  err <- readLines(file.path(dirname(out), "stderr.txt"))
  expect_length(err, 1L)
  n <- load_state(out)$iterations_done
  expect_identical(err, sprintf(paste(
    "train: interrupted; last checkpoint at iteration %.0f in %s;",
    "continue with: Rscript r/train.R --resume %s"
  ), n, out, out))
  expect_identical(n %% 10, 0)
  expect_identical(nrow(utils::read.csv(file.path(out, "metrics.csv"))),
                   as.integer(n))
  expect_false(file.exists(file.path(out, "summary.json")))
})

test_that("^C or SIGKILL leave no evaluator process behind", {
  skip_on_os("windows")
  fashion <- "/usr/share/datasets/fashion-mnist"
  skip_if_not(dir.exists(fashion), "no Fashion-MNIST")
  out <- file.path(withr::local_tempdir(), "run")
  # The training process and its evaluator, once it has written a checkpoint
  # past iteration `after` (the test set makes even 2000 training images
  # worth an evaluator; the data's checksum process is gone by then).
  done <- function() {
    tryCatch(load_state(out)$iterations_done, error = function(e) -1)
  }
  start <- function(args, after = -1) {
    caller <- parent.frame()
    proc <- processx::process$new(
      "Rscript", c(file.path(root, "r", "train.R"), args),
      stderr = file.path(dirname(out), "stderr.txt")
    )
    withr::defer(if (proc$is_alive()) proc$kill(), envir = caller)
    children <- list()
    for (poll in 1:600) {
      children <- tryCatch(ps::ps_children(proc$as_ps_handle()),
                           error = function(e) list())
      if (done() > after && length(children) > 0L || !proc$is_alive()) break
      Sys.sleep(0.1)
    }
    expect_length(children, 1L)
    list(proc = proc, children = children)
  }
  gone <- function(children) {
    for (poll in 1:300) {
      if (!any(vapply(children, ps::ps_is_running, TRUE))) return(TRUE)
      Sys.sleep(0.1)
    }
    FALSE
  }
  run <- start(c("--data-dir", fashion, "--out", out, "--train-limit",
                 "2000", "--iters", "1000000", "--quiet"))
  # ^C to the training process alone: it stops the evaluator itself.
  run$proc$interrupt()
  run$proc$wait(60000)
  expect_identical(run$proc$get_exit_status(), 130L)
  expect_match(readLines(file.path(dirname(out), "stderr.txt")),
               "^train: interrupted; ")
  expect_true(gone(run$children))
  # SIGKILL to the training process alone (processx's kill() would take its
  # children too): the evaluator notices and ends.
  run <- start(c("--resume", out, "--quiet"), after = done())
  tools::pskill(run$proc$get_pid(), tools::SIGKILL)
  expect_true(gone(run$children))
})

test_that("Python's CLI runs the same experiment: same accuracies", {
  python <- file.path(root, ".venv", "bin", "python")
  skip_if_not(file.exists(python), "no project venv Python")
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  args <- c("--data-dir", data_dir, "--iters", "60", "--batch-size", "20",
            "--seed", "11", "--quiet")
  expect_identical(run_main(c(args, "--out", file.path(d, "r")))$status, 0L)
  withr::with_dir(root, {
    status <- system2(python, c("-m", "python.train", args, "--out",
                                file.path(d, "py")), stdout = FALSE)
  })
  expect_identical(status, 0L)
  read <- function(lang, f) utils::read.csv(file.path(d, lang, f))
  expect_identical(read("r", "epochs.csv"), read("py", "epochs.csv"))
  loss_r <- read("r", "metrics.csv")$loss
  loss_py <- read("py", "metrics.csv")$loss
  expect_lt(max(abs(loss_r - loss_py) / abs(loss_py)), 1e-12)
  json <- function(lang, f) {
    jsonlite::fromJSON(file.path(d, lang, f), simplifyVector = FALSE)
  }
  for (f in c("run.json", "summary.json")) {
    expect_identical(names(json("r", f)), names(json("py", f)))
  }
  expect_identical(names(json("r", "summary.json")$flags),
                   names(json("py", "summary.json")$flags))
  expect_identical(json("r", "run.json")$data_files,
                   json("py", "run.json")$data_files)
})

test_that("--download rejects mirror files with wrong checksums", {
  d <- withr::local_tempdir()
  mirror <- file.path(d, "mirror")
  dir.create(mirror)
  for (f in names(mnist_sha256())) writeLines("garbage", file.path(mirror, f))
  withr::local_envvar(DLFS_MNIST_MIRRORS = paste0("file://", mirror))
  ran <- run_main(c("--dataset", "mnist", "--download", "--data-dir",
                    file.path(d, "mnist"), "--out", file.path(d, "run"),
                    "--quiet"))
  expect_identical(ran$status, 2L)
  expect_match(ran$err[[length(ran$err)]],
               "train-images-idx3-ubyte.gz: no mirror served a valid copy")
  expect_length(list.files(file.path(d, "mnist"), all.files = TRUE,
                           no.. = TRUE), 0L)
  expect_false(dir.exists(file.path(d, "run")))
})
