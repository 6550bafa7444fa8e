# The training CLI's refusals: bad flags and bad data exit 2 with one line,
# nothing written.
# Set-up: helper-train.R. Mirrors tests/test_train.py.

test_that("bad flags exit 2 with one line naming the flag, nothing written", {
  d <- withr::local_tempdir()
  bad <- list(
    list(c("--iters", "0"), "--iters must be a whole number in 1..", "got 0"),
    list(c("--batch-size", "-1"), "--batch-size must be a whole number",
         "got -1"),
    list(c("--hidden", "0"), "--hidden must be a whole number", "got 0"),
    list(c("--eval-every", "0"), "--eval-every must be a whole number",
         "got 0"),
    list(c("--train-limit", "0"), "--train-limit must be a whole number",
         "got 0"),
    list(c("--iters", "1.5"), "--iters must be a whole number", "got 1.5"),
    list(c("--iters", "3e9"), "--iters must be a whole number in",
         "1..2147483647, got 3e+09"),
    list(c("--lr", "0"), "--lr must be a finite number > 0", "got 0"),
    list(c("--lr", "-0.1"), "--lr must be a finite number > 0", "got -0.1"),
    list(c("--lr", "nan"), "--lr must be a finite number > 0", "got NaN"),
    list(c("--lr", "inf"), "--lr must be a finite number > 0", "got Inf"),
    list(c("--lr", "1e400"), "--lr must be a finite number > 0", "got Inf"),
    list(c("--weight-init-std", "-1"),
         "--weight-init-std must be a finite number >= 0", "got -1"),
    list(c("--weight-init-std", "nan"),
         "--weight-init-std must be a finite number >= 0", "got NaN"),
    list(c("--seed", "2147483647"), "--seed must be a whole number in",
         "0..2147483646, got 2147483647"),
    list(c("--seed", "-1"), "--seed must be a whole number in", "got -1"),
    list(c("--grad", "finite"), "--grad must be backprop or numerical",
         "got 'finite'"),
    list(c("--dataset", "cifar"), "--dataset must be fashion-mnist or mnist",
         "got 'cifar'"),
    list(c("--iters", "ten"), "--iters must be a number", "got 'ten'"),
    list(c("--lr", "fast"), "--lr must be a number", "got 'fast'"),
    list("--download", "--download is only available with --dataset mnist",
         "--download"),
    list("--bogus", "long flag \"bogus\" is invalid", "bogus"),
    list("stray", "\"stray\" is not a valid option", "stray"),
    list(c("--quiet", "--iters"), "flag \"iters\" requires an argument",
         "iters"),
    list("--quiet=yes", "long flag \"quiet\" accepts no arguments", "quiet"),
    list(c("--resume", "somewhere", "--iters", "5"),
         "only --quiet may be given with it", "got --iters"),
    list(c("--resume", "somewhere", "--force"),
         "only --quiet may be given with it", "got --force")
  )
  for (case in bad) {
    ran <- run_main(c("--out", file.path(d, "x"), case[[1]]))
    expect_identical(ran$status, 2L)
    line <- error_line(ran)
    expect_true(startsWith(line, "train: error: "))
    expect_true(grepl(case[[2]], line, fixed = TRUE), label = line)
    expect_true(grepl(case[[3]], line, fixed = TRUE), label = line)
  }
  expect_false(file.exists(file.path(d, "x")))
  # Values as optparse reads them: --flag=value, negative numbers, spaces;
  # counts become integers, a double the value given.
  expect_identical(parse_args(c("--iters", " 7 ", "--lr=1E2",
                                      "--seed", "-0"))[c("iters", "lr",
                                                         "seed")],
                   list(iters = 7L, lr = 100, seed = 0L))
  expect_identical(parse_args("--help"), list(help = TRUE))
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
