# The training CLI on small MNIST-format directories: outputs, determinism,
# the --out guard, --checkpoint-in, progress, the same run in Python.
# Set-up: helper-train.R. Mirrors tests/test_train.py.

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
  expect_identical(evaluate(net, data$x_test, data$t_test),
                   summary$final_test_acc)
  expect_identical(evaluate(net, data$x_train, data$t_train),
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
  write_checkpoint(file.path(d, "wrong.bin"), list(W1 = diag(3)))
  write_checkpoint(file.path(d, "shape.bin"),
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
  for (f in names(mnist_sha256)) writeLines("garbage", file.path(mirror, f))
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
