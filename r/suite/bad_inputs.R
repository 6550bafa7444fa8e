# Run the bad-input catalogue (fixtures/bad_inputs.json): build each case's
# arguments, call, report. Mirrors python/suite/bad_inputs.py.

# Test functions the cases name, beyond the fixtures' own: one that returns
# a vector, not a number.
bad_input_functions <- c(test_functions, list(identity = function(x) x))

# One catalogue value (jsonlite, simplifyVector = FALSE) as an R argument:
# arrays, special doubles and functions decoded, other lists recursively.
build_arg <- function(value) {
  if (!is.list(value)) return(value)
  if (!is.null(value$array)) return(build_array(value))
  if (!is.null(value$float)) return(special_double(value$float))
  if (!is.null(value[["function"]])) {
    return(bad_input_functions[[value[["function"]]]])
  }
  lapply(value, build_arg)
}

# "nan", "inf" or "-inf" as the double they stand for; numbers unchanged.
special_double <- function(v) {
  if (is.character(v)) c(nan = NaN, inf = Inf, "-inf" = -Inf)[[v]] else v
}

# A catalogue array: shape, fill or row-major values, dtype, set entries.
build_array <- function(value) {
  shape <- as.integer(unlist(value$array))
  dtype <- if (is.null(value$dtype)) "float" else value$dtype
  values <- if (!is.null(value$values)) value$values else
    rep(list(value$fill), prod(shape))
  if (dtype != "string") values <- lapply(values, special_double)
  modes <- c(float = "double", int = "integer", bool = "logical",
             string = "character")
  flat <- as.vector(unlist(values), modes[[dtype]])
  for (entry in value$set) {
    flat[entry[[1L]] + 1L] <- special_double(entry[[2L]])
  }
  row_major_array(flat, shape)
}

# Call a case's function with its arguments (a method on a fresh net or
# generator; a setter; net_args are the TwoLayerNet's).
call_bad_input <- function(case, net_args) {
  args <- lapply(case$args, build_arg)
  parts <- strsplit(case[["function"]], ".", fixed = TRUE)[[1L]]
  # A function of the book, or a constructor (Python's Rng is rng here).
  fn <- if (parts[1L] == "Rng") rng else get(parts[1L])
  if (length(parts) == 1L) return(do.call(fn, args))
  # Rng and SimpleNet are built from the case's seed rng, TwoLayerNet from
  # the catalogue's net.
  target <- if (parts[1L] == "TwoLayerNet") {
    do.call(TwoLayerNet, net_args)
  } else {
    fn(case$rng)
  }
  if (!is.null(case$params)) target$params <- build_arg(case$params)
  if (parts[2L] %in% c("params", "W")) {
    # A validated setter, given the new value as the argument of its name:
    # net$W <- value, through the class's $<- method.
    do.call(`$<-`, list(target, parts[2L], args[[parts[2L]]]))
    return(invisible(NULL))
  }
  do.call(get(parts[2L]), c(list(target), args))
}

# The R condition class of a catalogue error name: InputError ->
# dlfs_input_error.
error_class_of <- function(name) {
  paste0("dlfs_", tolower(gsub("([a-z])([A-Z])", "\\1_\\2", name)))
}

# Run one case: list(error = the most specific condition class or NA,
# message, ok = TRUE when the listed error came with every mention).
run_bad_input <- function(case, net_args) {
  want <- error_class_of(case$error)
  # A warning is a failure too: the call must refuse, not carry on.
  outcome <- function(e, prefix = "") {
    list(error = class(e)[1L], message = paste0(prefix, conditionMessage(e)))
  }
  result <- tryCatch(
    {
      call_bad_input(case, net_args)
      list(error = NA_character_, message = "returned without an error")
    },
    warning = function(w) outcome(w, "warning: "),
    error = outcome
  )
  mentioned <- vapply(case$mentions, grepl, logical(1L), x = result$message,
                      fixed = TRUE)
  result$ok <- identical(result$error, want) && all(mentioned)
  result
}

# Every case of the catalogue, in order, each result with its case.
run_bad_inputs <- function(
    path = file.path(fixtures_root, "bad_inputs.json")) {
  doc <- jsonlite::fromJSON(verify_policy_file(basename(path), dirname(path)),
                            simplifyVector = FALSE)
  lapply(doc$cases, function(case) {
    c(run_bad_input(case, doc$net), list(case = case))
  })
}
