# The project's error conditions, mirroring python/suite/errors.py:
# InputError is class "dlfs_input_error", and every one also has class
# "dlfs_error", so tryCatch(..., dlfs_error = ) catches all of them and
# nothing else.

# Python class name -> R condition classes, most specific first.
dlfs_error_classes <- function(kind) {
  parents <- switch(kind,
    input_type_error = "dlfs_input_error",
    NULL
  )
  known <- c("input_error", "input_type_error", "data_file_error",
             "fixture_error", "checkpoint_error", "output_exists_error",
             "diverged_error", "numerical_error")
  if (!kind %in% known) {
    stop(sprintf("unknown error kind '%s'", kind), call. = FALSE)
  }
  c(paste0("dlfs_", kind), parents, "dlfs_error", "error", "condition")
}

#' Signal one of the project's errors
#'
#' @param kind The error kind: "input_error", "input_type_error",
#'   "data_file_error", "fixture_error", "checkpoint_error",
#'   "output_exists_error", "diverged_error" or "numerical_error".
#' @param message The message: what is wrong and what was expected.
#' @param ... Extra fields stored in the condition (e.g. iteration).
#' @return Does not return.
dlfs_abort <- function(kind, message, ...) {
  stop(structure(class = dlfs_error_classes(kind),
                 list(message = message, call = NULL, ...)))
}
