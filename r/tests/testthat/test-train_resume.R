# Interruptions, resume and divergence (docs/robust_training.md).
# Set-up: helper-train.R. Mirrors tests/test_train.py.

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
    function() write_checkpoint(ckpt, decode_checkpoint(good)[param_keys]),
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
    real <- here$gradient
    calls <- new.env()
    calls$n <- 0L
    here$gradient <- function(net, x, t) {
      calls$n <- calls$n + 1L
      if (calls$n == 8L) dlfs_abort("numerical_error", "predictions are NaN")
      real(net, x, t)
    }
    withr::defer(here$gradient <- real)
    ran <- run_main(common(data_dir, file.path(d, "grad")))
    expect_identical(ran$status, 3L)
    expect_match(error_line(ran), "diverged at iteration 7: minibatch loss nan")
  })
  expect_identical(run_main(common(data_dir, file.path(d, "seven"), "--iters",
                                   "7"))$status, 0L)
  expect_identical(state_files(file.path(d, "grad")),
                   state_files(file.path(d, "seven")))
  # Such weights count no row in an evaluation.
  net <- TwoLayerNet(784, 50, 10, seed = 0)
  x <- matrix(as.raw(1:3), 3, 784)
  expect_identical(evaluate(net, x, c(0L, 0L, 0L)),
                   sum(max.col(predict(net, normalize(x)), "first") == 1L) / 3)
  params <- net$params
  params$W2[1L, 1L] <- Inf
  net$params <- params
  expect_error(predict(net, normalize(x)), class = "dlfs_numerical_error")
  expect_identical(evaluate(net, x, c(0L, 0L, 0L)), 0)
  # The library's condition carries the iteration.
  utils::capture.output(err <- tryCatch(
    run_training(parse_args(common(data_dir, file.path(d, "lib"),
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

test_that("training runs in one process; ^C or SIGKILL leave nothing", {
  skip_on_os("windows")
  fashion <- "/usr/share/datasets/fashion-mnist"
  skip_if_not(dir.exists(fashion), "no Fashion-MNIST")
  out <- file.path(withr::local_tempdir(), "run")
  done <- function() {
    tryCatch(load_state(out)$iterations_done, error = function(e) -1)
  }
  # The training process, once it has written a checkpoint past `after`,
  # and its children then (none: no evaluator, no checksum process).
  start <- function(args, after = -1) {
    caller <- parent.frame()
    proc <- processx::process$new(
      "Rscript", c(file.path(root, "r", "train.R"), args),
      stderr = file.path(dirname(out), "stderr.txt")
    )
    withr::defer(if (proc$is_alive()) proc$kill(), envir = caller)
    for (poll in 1:600) {
      if (done() > after || !proc$is_alive()) break
      Sys.sleep(0.1)
    }
    expect_true(proc$is_alive())
    list(proc = proc, children = ps::ps_children(proc$as_ps_handle()))
  }
  run <- start(c("--data-dir", fashion, "--out", out, "--train-limit",
                 "2000", "--iters", "1000000", "--quiet"))
  expect_length(run$children, 0L)
  run$proc$interrupt()
  run$proc$wait(60000)
  expect_identical(run$proc$get_exit_status(), 130L)
  expect_match(readLines(file.path(dirname(out), "stderr.txt")),
               "^train: interrupted; last checkpoint at iteration ")
  # SIGKILL: the state on disk is a complete checkpoint, resumable.
  run <- start(c("--resume", out, "--quiet"), after = done())
  expect_length(run$children, 0L)
  tools::pskill(run$proc$get_pid(), tools::SIGKILL)
  run$proc$wait(60000)
  expect_false(run$proc$is_alive())
  expect_identical(done() %% 20, 0)
})
