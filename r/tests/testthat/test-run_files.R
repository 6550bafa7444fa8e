# A training run on disk: the --out guard, stale temporary files, run.json,
# the run's record and checkpoints. Set-up (small_state()): helper-train.R.
# Mirrors tests/test_run_files.py.

root <- normalizePath(testthat::test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_that("an --out holding any run file is refused unless --force", {
  out <- withr::local_tempdir()
  expect_identical(guard_out_dir(out, force = FALSE), character(0))
  writeLines("x", file.path(out, "unrelated.txt"))
  expect_identical(guard_out_dir(out, force = FALSE), character(0))
  for (f in c("curves.png", "metrics.csv")) writeLines("x", file.path(out, f))
  expect_condition_class(
    guard_out_dir(out, force = FALSE), "dlfs_output_exists_error",
    paste0("^", out, " holds an earlier run \\(metrics.csv curves.png\\); ",
           "pass --force to overwrite it or --resume ", out, " to continue it$")
  )
  expect_identical(guard_out_dir(out, force = TRUE),
                   c("metrics.csv", "curves.png"))
  for (f in run_files) writeLines("x", file.path(out, f))
  clear_run_files(out)
  expect_identical(guard_out_dir(out, force = FALSE), character(0))
  expect_true(file.exists(file.path(out, "unrelated.txt")))
})

test_that("stale temporary files are removed, nothing else", {
  out <- withr::local_tempdir()
  keep <- c("metrics.csv", "x.tmp", ".hidden", ".notes.txt.z3.tmp", ".dir.tmp")
  stale <- c(".checkpoint.bin.abc123.tmp", ".metrics.csv.q.tmp")
  for (f in c(keep[1:4], stale)) writeLines("x", file.path(out, f))
  dir.create(file.path(out, ".dir.tmp"))
  expect_identical(remove_stale_tmp(out), sort(stale))
  expect_setequal(list.files(out, all.files = TRUE, no.. = TRUE), keep)
})

test_that("run.json round-trips flags exactly, and its damage is refused", {
  out <- withr::local_tempdir()
  flags <- list(iters = 30L, lr = 0.1 + 0.2, weight_init_std = 1e-300,
                train_limit = NULL, quiet = TRUE, grad = "backprop")
  files <- list(train_images = strrep("a", 64), test_labels = strrep("b", 64))
  start_out_dir(out, flags, files)
  back <- read_run_json(out)
  expect_identical(back, list(language = "R", flags = flags,
                              data_files = files))
  expect_identical(list.files(out, all.files = TRUE, no.. = TRUE), "run.json")
  writeLines("{\"flags\": [1]", file.path(out, "run.json"))
  expect_condition_class(read_run_json(out), "dlfs_checkpoint_error",
                         "run.json: unreadable or not JSON")
  writeLines("{\"flags\": [1], \"data_files\": {}}", file.path(out, "run.json"))
  expect_condition_class(read_run_json(out), "dlfs_checkpoint_error",
                         "expected an object with 'language', 'flags'")
  unlink(file.path(out, "run.json"))
  expect_condition_class(read_run_json(out), "dlfs_checkpoint_error",
                         "run.json: not found; .* is not a training run")
})

test_that("changed data files are refused, naming the file", {
  files <- list(train_images = list(path = "/d/train", sha256 = "aa"),
                test_labels = list(path = "/d/labels", sha256 = "bb"))
  expect_null(check_data_files(list(train_images = "aa", test_labels = "bb"),
                               files, "run.json"))
  expect_condition_class(
    check_data_files(list(train_images = "aa", test_labels = "cc"), files,
                     "/r/run.json"),
    "dlfs_data_file_error",
    "^/d/labels: SHA-256 bb differs from the cc recorded in /r/run.json"
  )
})

test_that("write_progress writes the tables and the checkpoint, no temp", {
  out <- withr::local_tempdir()
  state <- small_state()
  write_progress(out, state)
  expect_identical(readLines(file.path(out, "metrics.csv")),
                   c("iter,loss", "0,2.5", "1,0.33333333333333331",
                     "2,0.10000000000000001"))
  expect_identical(readLines(file.path(out, "epochs.csv")),
                   c("epoch,iter,train_acc,test_acc", "0,0,0.5,0.25",
                     "1,2,0.75,0.33333333333333331"))
  expect_identical(load_state(out), state)
  expect_setequal(list.files(out, all.files = TRUE, no.. = TRUE),
                  c("metrics.csv", "epochs.csv", "checkpoint.bin"))
  unlink(file.path(out, "checkpoint.bin"))
  expect_condition_class(load_state(out), "dlfs_checkpoint_error",
                         "checkpoint.bin: cannot read \\(file not found\\)")
})

test_that("a run keeps its losses and evaluations, written at checkpoints", {
  out <- withr::local_tempdir()
  state <- small_state()
  shown <- new.env()
  progress <- list(update = function(done, loss) shown$last <- c(done, loss))
  run <- start_run(out, state, progress)
  expect_identical(load_state(out), state)
  expect_identical(run$checkpoint, 3)
  run <- record_loss(run, 3, 0.05, state$params, state$batch_rng)
  expect_identical(shown$last, c(4, 0.05))
  expect_identical(load_state(out), state) # nothing written yet
  later <- rapply(state$params, function(w) w / 2, how = "list")
  words <- c(1, 2, 3, 4, 5, 6)
  run <- save_checkpoint(run, later, words)
  expect_identical(run$checkpoint, 4)
  expect_identical(load_state(out), train_state(later, 4, words,
                                                c(state$losses, 0.05),
                                                state$evals))
  run <- record_loss(run, 4, 0.04, later, words)
  run <- record_eval(run, 2, 4, 0.875, 0.5)
  expect_identical(run$evals[3L, ], c(2, 4, 0.875, 0.5))
  # A non-finite loss at 5: the state before iteration 5 is written.
  err <- tryCatch(record_loss(run, 5, NaN, state$params, c(6, 5, 4, 3, 2, 1)),
                  dlfs_diverged_error = identity)
  expect_identical(err$iteration, 5L)
  expect_match(conditionMessage(err), paste0(
    "^training diverged at iteration 5: minibatch loss nan; the last good ",
    "state \\(iteration 5\\) is in ", out, "$"
  ))
  expect_identical(load_state(out), train_state(
    state$params, 5, c(6, 5, 4, 3, 2, 1), c(state$losses, 0.05, 0.04),
    run$evals
  ))
  # Right after a checkpoint, that checkpoint is the last good state.
  run <- save_checkpoint(run, later, words)
  before <- readBin(file.path(out, "checkpoint.bin"), "raw", 1e5)
  expect_error(record_loss(run, 5, Inf, state$params, rev(words)),
               "minibatch loss inf", class = "dlfs_diverged_error")
  expect_identical(readBin(file.path(out, "checkpoint.bin"), "raw", 1e5),
                   before)
})

test_that("--checkpoint-in weights come from any checkpoint with W1..b2", {
  d <- withr::local_tempdir()
  state <- small_state()
  write_checkpoint(file.path(d, "state.bin"), encode_state(state))
  expect_identical(load_weights(file.path(d, "state.bin")), state$params)
  write_checkpoint(file.path(d, "w1.bin"), state$params["W1"])
  expect_error(load_weights(file.path(d, "w1.bin")),
               "w1.bin: has no b1 W2 b2; --checkpoint-in needs the arrays",
               class = "dlfs_checkpoint_error")
})

test_that("the ^C line names the last checkpoint on disk, or none", {
  out <- withr::local_tempdir()
  expect_identical(interrupted(NULL), paste(
    "interrupted before the first checkpoint; nothing to resume"
  ))
  expect_identical(interrupted(out), interrupted(NULL))
  write_progress(out, small_state())
  expect_identical(interrupted(out), sprintf(paste(
    "interrupted; last checkpoint at iteration 3 in %s; continue with:",
    "Rscript r/train.R --resume %s"
  ), out, out))
})
