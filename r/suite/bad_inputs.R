# Run the bad-input catalogue (fixtures/bad_inputs.json): build each case's
# arguments, call, report. Mirrors python/suite/bad_inputs.py.

# Test functions the cases name, beyond the fixtures' own: one that returns
# a vector, not a number.
bad_input_functions <- function() {
  c(test_functions, list(identity = function(x) x))
}

#' A row-major array from a flat vector: numpy's reshape, in R
#'
#' @param values Flat values in row-major order.
#' @param shape Extents; one extent gives a plain vector.
#' @return A vector, matrix or array.
row_major <- function(values, shape) {
  if (length(shape) == 1L) return(values)
  arr <- array(values, dim = rev(shape))
  aperm(arr, rev(seq_along(shape)))
}

#' One catalogue value as an R argument
#'
#' @param value Parsed JSON (jsonlite, simplifyVector = FALSE).
#' @return Arrays, special doubles and functions decoded; other lists
#'   recursively; scalars as they are.
build_arg <- function(value) {
  if (!is.list(value)) return(value)
  if (!is.null(value$array)) return(build_array(value))
  if (!is.null(value$float)) return(special_double(value$float))
  if (!is.null(value[["function"]])) {
    return(bad_input_functions()[[value[["function"]]]])
  }
  lapply(value, build_arg)
}

#' "nan", "inf" or "-inf" as the double they stand for; numbers unchanged
#'
#' @param v A number or one of the three strings.
#' @return A double.
special_double <- function(v) {
  if (is.character(v)) c(nan = NaN, inf = Inf, "-inf" = -Inf)[[v]] else v
}

#' A catalogue array: shape, fill or row-major values, dtype, set entries
#'
#' @param value The parsed array object.
#' @return A vector, matrix or array of the dtype.
build_array <- function(value) {
  shape <- as.integer(unlist(value$array))
  dtype <- if (is.null(value$dtype)) "float" else value$dtype
  values <- if (!is.null(value$values)) value$values else
    rep(list(value$fill), prod(shape))
  if (dtype != "string") values <- lapply(values, special_double)
  flat <- switch(dtype,
    float = as.double(unlist(values)),
    int = as.integer(unlist(values)),
    bool = as.logical(unlist(values)),
    string = as.character(unlist(values))
  )
  if (length(flat) == 0L) flat <- vector(typeof(flat), 0L)
  for (entry in value$set) {
    flat[entry[[1L]] + 1L] <- special_double(entry[[2L]])
  }
  row_major(flat, shape)
}

#' Call a case's function with its arguments
#'
#' @param case One catalogue case.
#' @param net_args Arguments of the TwoLayerNet the methods run on.
#' @return Whatever the call returns.
call_bad_input <- function(case, net_args) {
  args <- lapply(case$args, build_arg)
  fn <- case[["function"]]
  direct <- list(
    sigmoid = sigmoid, sigmoid_grad = sigmoid_grad, softmax = softmax,
    cross_entropy_error = cross_entropy_error,
    mean_squared_error = mean_squared_error,
    numerical_gradient = numerical_gradient,
    gradient_descent = gradient_descent, sgd_update = sgd_update,
    Rng = rng, TwoLayerNet = TwoLayerNet
  )
  if (!is.null(direct[[fn]])) return(do.call(direct[[fn]], args))
  parts <- strsplit(fn, ".", fixed = TRUE)[[1L]]
  if (parts[1L] == "Rng") {
    method <- list(uniform = uniform, normal = normal, integers = integers)
    return(do.call(method[[parts[2L]]], c(list(rng(case$rng)), args)))
  }
  net <- do.call(TwoLayerNet, net_args)
  if (!is.null(case$params)) net$params <- build_arg(case$params)
  if (parts[2L] == "params") {
    net$params <- args$params
    return(invisible(NULL))
  }
  method <- list(predict = predict, loss = loss, accuracy = accuracy,
                 gradient = gradient, numerical_gradient = numerical_gradient)
  do.call(method[[parts[2L]]], c(list(net), args))
}

#' The R condition class of a catalogue error name: InputError ->
#' dlfs_input_error
#'
#' @param name Python class name.
#' @return The condition class.
error_class_of <- function(name) {
  paste0("dlfs_", tolower(gsub("([a-z])([A-Z])", "\\1_\\2", name)))
}

#' Run one case
#'
#' @inheritParams call_bad_input
#' @return list(error = the most specific condition class or NA, message,
#'   ok = TRUE when the listed error was signalled with every mention).
run_bad_input <- function(case, net_args) {
  want <- error_class_of(case$error)
  result <- tryCatch(
    withCallingHandlers(
      {
        call_bad_input(case, net_args)
        list(error = NA_character_, message = "returned without an error")
      },
      warning = function(w) stop(paste("warning:", conditionMessage(w)))
    ),
    error = function(e) {
      list(error = class(e)[1L], message = conditionMessage(e))
    }
  )
  mentioned <- vapply(case$mentions, grepl, logical(1L), x = result$message,
                      fixed = TRUE)
  result$ok <- identical(result$error, want) && all(mentioned)
  result
}

#' Every case of the catalogue, in order
#'
#' @param path The catalogue file.
#' @return A list of run_bad_input() results, each with its case.
run_bad_inputs <- function(
    path = file.path(fixtures_root, "bad_inputs.json")) {
  doc <- jsonlite::fromJSON(verify_policy_file(basename(path), dirname(path)),
                            simplifyVector = FALSE)
  lapply(doc$cases, function(case) {
    c(run_bad_input(case, doc$net), list(case = case))
  })
}
