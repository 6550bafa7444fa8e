# Shared by the fixture tests: testthat sources helper-*.R before the tests.

#' A private copy of a fixtures directory (top-level files and cases/), to
#' damage
#'
#' @param from The fixtures directory to copy.
#' @param envir Whose exit removes the copy.
#' @return The copy's path.
copy_fixtures <- function(from, envir = parent.frame()) {
  dir <- file.path(withr::local_tempdir(.local_envir = envir), "fixtures")
  dir.create(file.path(dir, "cases"), recursive = TRUE)
  top <- list.files(from, full.names = TRUE)
  file.copy(top[!dir.exists(top)], dir)
  file.copy(list.files(file.path(from, "cases"), full.names = TRUE),
            file.path(dir, "cases"))
  dir
}

# The R module (file base name) of each fixture function: each
# r/tests/testthat/test-<module>.R sweeps the fixtures of its own functions.
fixture_modules <- list(
  functions = c("sigmoid", "sigmoid_grad", "softmax", "cross_entropy_error",
                "mean_squared_error"),
  gradient = c("numerical_gradient", "gradient_descent", "numerical_diff",
               "gradient_descent_history"),
  optimizer = "sgd_update",
  rng = c("Rng.uniform", "Rng.normal", "Rng.integers"),
  two_layer_net = c("TwoLayerNet.init", "TwoLayerNet.predict",
                    "TwoLayerNet.loss", "TwoLayerNet.accuracy",
                    "TwoLayerNet.gradient", "TwoLayerNet.numerical_gradient",
                    "TwoLayerNet.numerical_gradient_plain"),
  cases = "sgd_trajectory",
  simple_net = c("SimpleNet.init", "SimpleNet.predict", "SimpleNet.loss",
                 "SimpleNet.numerical_gradient")
)
runner_modules <- stats::setNames(
  rep(names(fixture_modules), lengths(fixture_modules)),
  unlist(fixture_modules)
)

#' One line describing a verdict, for test failure messages
#'
#' @param v A verdict (compare()).
#' @return The line.
format_verdict <- function(v) {
  sprintf("error %.3g %s (bound %.3g, ratio %.3g, %.1f digits)%s",
          v$error, v$unit, v$bound, v$ratio, v$digits,
          if (nzchar(v$where)) paste0(" at ", v$where) else "")
}

#' One test per fixture function of an R module: every case within its class
#'
#' @param module The module's file base name ("functions", "rng", ...).
#' @param exact Also require an error of 0 (the same bits) on every case.
#' @param env The test file's environment, where it sourced r/load.R.
test_fixture_cases <- function(module, exact = FALSE, env = parent.frame()) {
  policy <- env$load_policy()
  fns <- env$fixture_functions()
  for (fn in fns[runner_modules[fns] %in% module]) {
    test_that(paste(fn, "is within its class on every fixture case"), {
      cases <- env$load_cases(fn)
      expect_gt(length(cases), 0)
      for (case in cases) {
        v <- env$compare(env$run_case(fn, case), case$expected,
                         policy[[case$tolerance]], case$err_scale)
        expect(v$passed, paste(fn, case$id, format_verdict(v)))
        # The exact class: the same IEEE roundings, so the same bits.
        if (exact) expect_identical(v$error, 0)
      }
    })
  }
}
