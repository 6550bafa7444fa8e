# The bad-input catalogue in R: every case refused with the listed error
# condition, and the check can fail. Mirrors tests/test_bad_inputs.py.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

catalogue <- jsonlite::fromJSON(file.path(fixtures_root, "bad_inputs.json"),
                                simplifyVector = FALSE)

for (case in catalogue$cases) {
  test_that(paste0(case[["function"]], ": ", case$description), {
    outcome <- run_bad_input(case, catalogue$net)
    expect(outcome$ok, paste("got", outcome$error, ":", outcome$message))
  })
}

test_that("every public function has bad inputs", {
  public <- c("sigmoid", "sigmoid_grad", "softmax", "cross_entropy_error",
              "mean_squared_error", "numerical_gradient", "gradient_descent",
              "sgd_update", "Rng", "Rng.uniform", "Rng.normal", "Rng.integers",
              "TwoLayerNet", "TwoLayerNet.predict", "TwoLayerNet.loss",
              "TwoLayerNet.accuracy", "TwoLayerNet.gradient",
              "TwoLayerNet.numerical_gradient", "TwoLayerNet.params",
              "SimpleNet", "SimpleNet.predict", "SimpleNet.loss",
              "SimpleNet.W")
  listed <- vapply(catalogue$cases, function(c) c[["function"]], "")
  expect_true(all(public %in% listed))
})

test_that("a case not refused exactly as listed is reported as failing", {
  base <- catalogue$cases[[1L]]
  valid <- base
  valid$args <- list(x = 0.5)
  expect_false(run_bad_input(valid, catalogue$net)$ok)
  other_class <- base
  other_class$error <- "DataFileError"
  expect_false(run_bad_input(other_class, catalogue$net)$ok)
  missing_word <- base
  missing_word$mentions <- list("x", "not said")
  expect_false(run_bad_input(missing_word, catalogue$net)$ok)
  # Only the project's conditions count: a plain stop() or a warning fails.
  crash <- list(`function` = "numerical_gradient", error = "InputError",
                mentions = list("f"))
  x <- list(array = list(2L), fill = 1)
  crash$args <- list(f = function(x) stop("plain error"), x = x)
  expect_false(run_bad_input(crash, catalogue$net)$ok)
  crash$args <- list(f = function(x) as.integer("a"), x = x)
  outcome <- run_bad_input(crash, catalogue$net)
  expect_false(outcome$ok)
  expect_match(outcome$message, "warning")
})

test_that("the counts are recorded for the README's robustness table", {
  outcomes <- run_bad_inputs()
  groups <- table(vapply(outcomes, function(o) o$case$group, ""))
  record <- list(language = "r", cases = length(outcomes),
                 refused_as_listed = sum(vapply(outcomes, `[[`, TRUE, "ok")),
                 by_group = as.list(groups))
  out_dir <- file.path(root, "build", "robustness")
  dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
  jsonlite::write_json(record, file.path(out_dir, "bad_inputs_r.json"),
                       auto_unbox = TRUE, pretty = TRUE)
  expect_identical(record$refused_as_listed, record$cases)
})
