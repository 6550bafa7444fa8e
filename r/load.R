# Source the R mirror's modules, for tests, scripts and rpy2: source this
# file, then call load_modules() with the repository root.

# Dependency order: later modules call functions of earlier ones at run time
# (shape_of, labels_of, rng, TwoLayerNet, load_cases, ...).
r_modules <- c("errors", "checks", "functions", "gradient", "fast_gradient",
               "optimizer", "rng", "two_layer_net", "fixtures_io", "tolerance",
               "cases", "bad_inputs")

#' Source every module of r/ into one environment
#'
#' @param root The repository root.
#' @param envir Where the functions are defined (default: the caller's
#'   environment, so a test file or script gets them locally).
#' @return envir, invisibly.
load_modules <- function(root = ".", envir = parent.frame()) {
  for (module in r_modules) {
    sys.source(file.path(root, "r", paste0(module, ".R")), envir = envir)
  }
  # The fixtures of this checkout, whatever the working directory later is.
  assign("fixtures_root", normalizePath(file.path(root, "fixtures"),
                                        mustWork = FALSE), envir = envir)
  invisible(envir)
}
