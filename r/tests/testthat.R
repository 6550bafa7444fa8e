# Run the R mirror's tests: Rscript r/tests/testthat.R (from the repository
# root or from anywhere, given the path to this script).
# Exits non-zero when any test fails.

local({
  args <- commandArgs(trailingOnly = FALSE)
  script <- sub("^--file=", "", grep("^--file=", args, value = TRUE))
  here <- if (length(script)) dirname(normalizePath(script)) else "r/tests"
  testthat::local_edition(3)
  testthat::test_dir(file.path(here, "testthat"), stop_on_failure = TRUE,
                     stop_on_warning = TRUE)
})
