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
