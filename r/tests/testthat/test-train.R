# The training CLI on small MNIST-format directories: outputs, determinism,
# refusals, flags, and the same run in Python. Mirrors tests/test_train.py.

root <- normalizePath(testthat::test_path("..", "..", ".."))
sys.source(file.path(root, "r", "train.R"), envir = environment())
load_training(root, environment())

outputs <- c("checkpoint.bin", "curves.png", "epochs.csv", "metrics.csv",
             "summary.json")

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

# main() with its stdout captured; returns list(status, out).
run_main <- function(args) {
  status <- NULL
  out <- utils::capture.output(
    status <- suppressMessages(main(args))
  )
  list(status = status, out = out)
}

read_file <- function(path) readBin(path, "raw", file.size(path))

test_that("--data-dir training writes five consistent outputs", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  out <- file.path(withr::local_tempdir(), "run")
  ran <- run_main(common(data_dir, out, "--seed", "3"))
  expect_identical(ran$status, 0L)
  expect_identical(sort(list.files(out, all.files = TRUE, no.. = TRUE)),
                   outputs)
  metrics <- utils::read.csv(file.path(out, "metrics.csv"))
  expect_identical(names(metrics), c("iter", "loss"))
  expect_identical(metrics$iter, 0:29)
  epochs <- utils::read.csv(file.path(out, "epochs.csv"))
  # One epoch = 200 / 20 = 10 iterations: after the update of i = 0, 10, 20.
  expect_identical(epochs$epoch, 0:2)
  expect_identical(epochs$iter, c(0L, 10L, 20L))
  expect_length(grep("^train acc, test acc \\| 0\\.\\d{4}, 0\\.\\d{4}$",
                     ran$out), 3L)
  summary <- jsonlite::fromJSON(file.path(out, "summary.json"))
  expect_identical(summary$flags, list(
    iters = 30L, batch_size = 20L, lr = 0.1, hidden = 50L,
    weight_init_std = 0.01, seed = 3L, grad = "backprop", eval_every = 10L,
    dataset = "fashion-mnist", data_dir = data_dir, download = FALSE,
    out = out, train_limit = NULL, checkpoint_in = NULL, quiet = TRUE
  ))
  expect_identical(summary$batch_generator, "Rng(4)")
  expect_identical(c(summary$data$train_size, summary$data$test_size),
                   c(200L, 50L))
  for (f in summary$data$files) {
    expect_identical(f$sha256, sha256_file(f$path))
  }
  expect_identical(summary$final_loss, metrics$loss[[30]])
  expect_identical(summary$versions$language, "R")
  expect_true(all(c("wall_seconds", "seconds_per_iteration") %in%
                    names(summary$timing)))
  # The checkpoint holds the final weights: it gives the final accuracies.
  data <- load_dataset(data_dir)
  net <- TwoLayerNet(784, 50, 10, seed = 0)
  net$params <- load_checkpoint(file.path(out, "checkpoint.bin"))
  expect_identical(count_correct(net, data$x_test, data$t_test) / 50,
                   summary$final_test_acc)
  expect_identical(count_correct(net, data$x_train, data$t_train) / 200,
                   summary$final_train_acc)
  png_magic <- as.raw(c(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))
  expect_identical(read_file(file.path(out, "curves.png"))[1:8], png_magic)
})

test_that("same seed gives the same bytes; runs are never overwritten", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  for (run in list(c("a", "5"), c("b", "5"), c("c", "6"))) {
    ran <- run_main(common(data_dir, file.path(d, run[[1]]), "--seed",
                           run[[2]]))
    expect_identical(ran$status, 0L)
  }
  for (f in c("metrics.csv", "epochs.csv", "checkpoint.bin")) {
    expect_identical(read_file(file.path(d, "a", f)),
                     read_file(file.path(d, "b", f)))
  }
  expect_false(identical(read_file(file.path(d, "a", "metrics.csv")),
                         read_file(file.path(d, "c", "metrics.csv"))))
  before <- lapply(file.path(d, "a", outputs), read_file)
  expect_message(status <- main(common(data_dir, file.path(d, "a"))),
                 "refusing to overwrite")
  expect_identical(status, 1L)
  expect_identical(lapply(file.path(d, "a", outputs), read_file), before)
})

test_that("bad flags exit 2; data errors exit 1 without outputs", {
  d <- withr::local_tempdir()
  bad <- list(c("--iters", "0"), c("--batch-size", "-1"),
              c("--grad", "finite"), "--download",
              c("--seed", "2147483647"), c("--eval-every", "0"))
  for (args in bad) {
    expect_identical(run_main(c("--out", file.path(d, "x"), args))$status,
                     2L)
  }
  data_dir <- write_learnable(file.path(d, "data"))
  expect_message(
    status <- main(common(data_dir, file.path(d, "a"), "--train-limit",
                          "201")),
    "--train-limit 201 exceeds the 200 training images"
  )
  expect_identical(status, 1L)
  writeBin(as.raw(c(0, 0, 8, 1, 0, 0, 0, 50)),
           file.path(data_dir, "t10k-labels-idx1-ubyte"))
  expect_message(status <- main(common(data_dir, file.path(d, "b"))),
                 "t10k-labels-idx1-ubyte: truncated")
  expect_identical(status, 1L)
  expect_false(any(file.exists(file.path(d, c("x", "a", "b")))))
})

test_that("--checkpoint-in with lr 0 ends at that checkpoint", {
  data_dir <- write_learnable(file.path(withr::local_tempdir(), "data"))
  d <- withr::local_tempdir()
  expect_identical(run_main(common(data_dir, file.path(d, "a"),
                                   "--train-limit", "100"))$status, 0L)
  summary <- jsonlite::fromJSON(file.path(d, "a", "summary.json"))
  expect_identical(summary$data$train_size, 100L)
  expect_identical(summary$flags$eval_every, 5L)
  ckpt <- file.path(d, "a", "checkpoint.bin")
  ran <- run_main(common(data_dir, file.path(d, "b"), "--checkpoint-in",
                         ckpt, "--lr", "0"))
  expect_identical(ran$status, 0L)
  expect_identical(read_file(file.path(d, "b", "checkpoint.bin")),
                   read_file(ckpt))
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
})

test_that("--download rejects mirror files with wrong checksums", {
  d <- withr::local_tempdir()
  mirror <- file.path(d, "mirror")
  dir.create(mirror)
  for (f in names(mnist_sha256())) writeLines("garbage", file.path(mirror, f))
  withr::local_envvar(DLFS_MNIST_MIRRORS = paste0("file://", mirror))
  expect_message(
    status <- main(c("--dataset", "mnist", "--download", "--data-dir",
                     file.path(d, "mnist"), "--out", file.path(d, "run"),
                     "--quiet")),
    "train-images-idx3-ubyte.gz: no mirror served a valid copy"
  )
  expect_identical(status, 1L)
  expect_length(list.files(file.path(d, "mnist"), all.files = TRUE,
                           no.. = TRUE), 0L)
  expect_false(dir.exists(file.path(d, "run")))
})
