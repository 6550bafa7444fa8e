# The project's error conditions, mirroring python/suite/errors.py: Python's
# InputError is class "dlfs_input_error" (the snake_case of the name,
# prefixed), InputTypeError is also a dlfs_input_error, and every one also
# has class "dlfs_error", so tryCatch(..., dlfs_error = ) catches all of them
# and nothing else.

#' Signal one of the project's errors
#'
#' @param kind The error kind: "input_error", "input_type_error",
#'   "data_file_error", "fixture_error", "checkpoint_error",
#'   "output_exists_error", "diverged_error" or "numerical_error".
#' @param message The message: what is wrong and what was expected.
#' @param ... Extra fields stored in the condition (e.g. iteration).
#' @return Does not return.
dlfs_abort <- function(kind, message, ...) {
  parent <- if (kind == "input_type_error") "dlfs_input_error"
  classes <- c(paste0("dlfs_", kind), parent, "dlfs_error", "error",
               "condition")
  stop(structure(class = classes, list(message = message, call = NULL, ...)))
}

# dlfs_abort() of an input_error (an input_type_error) whose message is
# sprintf(fmt, ...): the argument checks' one-line form.
input_abort <- function(fmt, ...) dlfs_abort("input_error", sprintf(fmt, ...))
type_abort <- function(fmt, ...) {
  dlfs_abort("input_type_error", sprintf(fmt, ...))
}
