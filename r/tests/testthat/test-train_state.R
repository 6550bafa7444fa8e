# The training state in a checkpoint: its arrays, their checks, its fit to
# the run, Python reading it. Set-up (small_state()): helper-train.R.
# Mirrors tests/test_train_state.py.

root <- normalizePath(testthat::test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_that("a state's arrays come in the documented order and round-trip", {
  state <- small_state()
  arrays <- encode_state(state)
  expect_identical(names(arrays), c("W1", "b1", "W2", "b2", "iterations_done",
                                    "batch_rng", "losses", "evals"))
  expect_identical(dim(arrays$evals), c(2L, 4L))
  path <- file.path(withr::local_tempdir(), "checkpoint.bin")
  write_checkpoint(path, arrays)
  back <- decode_state(load_checkpoint(path), path)
  expect_identical(back, state)
  # The state of a generator continues its stream.
  words <- back$batch_rng
  gen <- rng(6)
  expect_identical(integers(rng_from_state(words[1:3], words[4:6]), 10, 4),
                   integers(gen, 10, 10)[7:10])
  # Nothing done yet: empty losses and evaluations.
  empty <- train_state(state$params, 0, words, numeric(0), matrix(0, 0, 4))
  write_checkpoint(path, encode_state(empty))
  expect_identical(decode_state(load_checkpoint(path), path), empty)
})

test_that("checkpoints without a valid state are refused, naming the array", {
  good <- encode_state(small_state())
  broken <- list(
    "holds no training state \\(missing losses evals\\)" =
      good[1:6],
    "iterations_done must be one integer >= 0" =
      utils::modifyList(good, list(iterations_done = 2.5)),
    "batch_rng must be 6 generator words" =
      utils::modifyList(good, list(batch_rng = c(1, 2, 3, 0, 0, 0))),
    "batch_rng must be 6 generator words" =
      utils::modifyList(good, list(batch_rng = c(1, 2, m1, 1, 2, 3))),
    "losses must have iterations_done = 3 values" =
      utils::modifyList(good, list(losses = c(1, 2))),
    "evals must be rows \\(epoch, iter, train_acc, test_acc\\)" =
      utils::modifyList(good, list(evals = matrix(0, 2, 3)))
  )
  for (pattern in names(broken)) {
    expect_condition_class(decode_state(broken[[pattern]], "ck.bin"),
                           "dlfs_checkpoint_error",
                           paste0("^ck.bin: ", pattern))
  }
})

test_that("a state must fit the run's net, iterations and evaluations", {
  state <- small_state()
  flags <- list(iters = 5L, eval_every = 2L)
  expect_null(check_state_fits(state, flags, small_shapes(), "s"))
  wide <- utils::modifyList(small_shapes(), list(b1 = 4L))
  misfits <- list(
    list(state, flags, wide,
         "b1 has shape \\(3\\), the run's net needs \\(4\\)"),
    list(state, list(iters = 2L, eval_every = 2L), small_shapes(),
         "iterations_done 3 exceeds the run's --iters 2"),
    list(state, list(iters = 5L, eval_every = 1L), small_shapes(),
         "evals do not list the evaluations before iteration 3 \\(every 1\\)"),
    list(utils::modifyList(state, list(losses = c(1, NaN, 2))), flags,
         small_shapes(), "losses hold a non-finite value")
  )
  for (m in misfits) {
    expect_condition_class(check_state_fits(m[[1]], m[[2]], m[[3]], "s"),
                           "dlfs_checkpoint_error", paste0("^s: ", m[[4]]))
  }
})

test_that("Python reads an R training checkpoint and writes the same bytes", {
  python <- file.path(root, ".venv", "bin", "python")
  skip_if_not(file.exists(python), "no project venv Python")
  d <- withr::local_tempdir()
  for (state in list(small_state(), utils::modifyList(small_state(), list(
    iterations_done = 0, losses = numeric(0), evals = matrix(0, 0, 4)
  )))) {
    write_checkpoint(file.path(d, "r.bin"), encode_state(state))
    code <- paste(
      "import sys",
      "from python.suite.checkpoint import load_checkpoint, save_checkpoint",
      "arrays = load_checkpoint(sys.argv[1])",
      "print(' '.join(f'{k}:{v.shape}' for k, v in arrays.items()))",
      "save_checkpoint(sys.argv[2], arrays)", sep = "\n"
    )
    shapes <- withr::with_dir(root, system2(
      python, c("-c", shQuote(code), file.path(d, "r.bin"),
                file.path(d, "py.bin")), stdout = TRUE
    ))
    n <- length(state$losses)
    expect_identical(shapes, sprintf(paste(
      "W1:(4, 3) b1:(3,) W2:(3, 2) b2:(2,) iterations_done:(1,)",
      "batch_rng:(6,) losses:(%d,) evals:(%d, 4)"
    ), n, nrow(state$evals)))
    expect_identical(readBin(file.path(d, "py.bin"), "raw", 1e5),
                     readBin(file.path(d, "r.bin"), "raw", 1e5))
  }
})
