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

#' One test per fixture function of an R module: every case within its class
#'
#' @param module The module's file base name ("functions", "rng", ...).
#' @param env The test file's environment, where it sourced r/load.R.
test_fixture_cases <- function(module, env = parent.frame()) {
  policy <- env$load_policy()
  for (fn in env$module_functions(module)) {
    test_that(paste(fn, "is within its class on every fixture case"), {
      verdicts <- env$check_function_cases(fn, policy = policy)
      expect_gt(length(verdicts), 0)
      for (id in names(verdicts)) {
        expect(verdicts[[id]]$passed,
               paste(fn, id, env$format_verdict(verdicts[[id]])))
      }
    })
  }
}
