# Everything in one call: source("r/load.R") defines the book's functions,
# the suite's machinery and the training command, in the environment that
# sources it (the global one from a script or the console, a local one with
# source(..., local = TRUE) or sys.source()).

local({
  # The directory of this file, from the source()/sys.source() call running
  # it, so that it works from any working directory.
  paths <- unlist(lapply(sys.frames(), function(frame) {
    Filter(is.character, list(frame$ofile, frame$file))
  }))
  # The innermost call's file; r/load.R under the working directory if none.
  paths <- rev(grep("load\\.R$", paths, value = TRUE))
  here <- dirname(normalizePath(c(paths, file.path("r", "load.R"))[1L]))
  # The book's modules, then the suite's machinery (r/suite/), in dependency
  # order: later modules call earlier ones (cases.R's runner table holds the
  # book's functions themselves).
  modules <- c(
    "suite/errors", "suite/checks", "suite/function_checks",
    "suite/net_checks",
    "functions", "gradient", "fast_gradient", "optimizer", "rng",
    "two_layer_net", "simple_net",
    "suite/fixtures_io", "suite/tolerance", "suite/cases", "suite/bad_inputs",
    "mnist", "suite/download", "suite/checkpoint", "suite/train_state",
    "figures", "suite/progress", "suite/run_files", "suite/train_cli",
    "suite/train_setup", "train"
  )
  target <- parent.env(environment())
  for (module in modules) {
    sys.source(file.path(here, paste0(module, ".R")), envir = target)
  }
  # The fixtures of this checkout, whatever the working directory later is.
  assign("fixtures_root", file.path(dirname(here), "fixtures"), envir = target)
})
