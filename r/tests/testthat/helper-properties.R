# Shared by the property tests (test-properties_*.R): generated inputs from
# the project's own generator, the verdict on one call (attempt), the
# contracts of the checks shared by more than one file, and the counts each
# file writes. Every public function over generated shapes, types and
# values: a result that passes the function's properties (within the
# tolerance policy) or the project's clear error (a dlfs_error of the class
# the input calls for); never another error, a warning or a silent NaN.
# Mirrors tests/properties_helpers.py.
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
policy <- load_policy()
f2 <- test_functions$function_2
type_error <- "dlfs_input_type_error"
input_error <- "dlfs_input_error"
numerical_error <- "dlfs_numerical_error"
# In a list of problems: a value is acceptable too (the other problems may
# or may not come).
or_value <- "value"
# Per function: tried, valid, clear_errors, other_failures; and the failures.
tally <- new.env()
failures <- new.env()

# ------------------------------------------------------------------ inputs

#' A whole number in lo..hi from the generator
draw_int <- function(gen, lo, hi) {
  lo + integers(gen, hi - lo + 1, 1L)
}

#' One of the choices (a list or a vector)
pick <- function(gen, choices) {
  choices[[draw_int(gen, 1, length(choices))]]
}

#' TRUE with probability p
chance <- function(gen, p) {
  uniform(gen, 1L) < p
}

specials <- c(NaN, NA, Inf, -Inf, -0, 0, 5e-324, 1e-310,
              2.2250738585072014e-308, 1e308, -1e308, .Machine$double.xmax)

#' n doubles: normals scaled by 10^-3..10^3, the band -750..-700 where
#' sigmoid's results are subnormal, and special values (those within reach
#' and, if nonfinite, NaN and Inf)
draw_doubles <- function(gen, n, reach = Inf, nonfinite = TRUE) {
  v <- normal(gen, n) * 10^(integers(gen, 7L, n) - 3)
  band <- uniform(gen, n) < 0.1
  v[band] <- -700 - 50 * uniform(gen, sum(band))
  pool <- specials[(is.finite(specials) & abs(specials) <= reach) |
                     (nonfinite & !is.finite(specials))]
  special <- uniform(gen, n) < 0.25
  v[special] <- pool[integers(gen, length(pool), sum(special)) + 1L]
  v
}

#' Extents of a rank-0..3 array (rank 0: an R scalar, no dim)
draw_shape <- function(gen, ranks = 0:3, min_side = 0, max_side = 5) {
  rank <- pick(gen, ranks)
  if (rank == 0) return(integer(0))
  as.integer(min_side + integers(gen, max_side - min_side + 1, rank))
}

#' values in the given shape: a scalar, a plain vector or 1-d array, a
#' matrix or a 3-d array
shaped <- function(gen, values, shape) {
  if (length(shape) == 0L) return(values[1L])
  if (length(shape) == 1L) {
    return(if (chance(gen, 0.8)) values else array(values, shape))
  }
  if (length(shape) == 2L) return(matrix(values, shape[1L], shape[2L]))
  array(values, shape)
}

#' An array of a drawn type (double mostly; integer, logical, character) and
#' shape, or now and then NULL, a list, a complex number or a factor
draw_array <- function(gen, shape = draw_shape(gen), kind = NULL,
                       reach = Inf) {
  n <- max(prod(shape), length(shape) == 0L)
  if (is.null(kind)) {
    kind <- pick(gen, c(rep("double", 5), "integer", "logical", "character",
                        "other"))
  }
  switch(kind,
    double = shaped(gen, draw_doubles(gen, n, reach), shape),
    integer = shaped(gen, integers(gen, 2001, n) - 1000L, shape),
    logical = shaped(gen, uniform(gen, n) < 0.5, shape),
    character = shaped(gen, rep("1", n), shape),
    pick(gen, list(NULL, list(1, 2), 1i, factor("a"), mean))
  )
}

# ------------------------------------------------------------------ verdict

#' Add one to a count of a function
bump <- function(name, key) {
  row <- tally[[name]]
  if (is.null(row)) {
    row <- c(tried = 0, valid = 0, clear_errors = 0, other_failures = 0)
  }
  row[[key]] <- row[[key]] + 1
  tally[[name]] <- row
}

#' What went wrong with one call's result (list(value), list(refused =
#' condition) or list(other = message)), or "" if nothing
verdict_of <- function(result, problems, check) {
  refused <- result$refused
  if (!is.null(result$other)) {
    return(paste("not the project's error:", result$other))
  }
  if (is.null(refused)) {
    if (length(problems) && !or_value %in% problems) {
      return(paste("returned a value where", toString(problems), "was due"))
    }
    return(if (is.null(check)) "" else toString(check(result$value)))
  }
  if (!length(setdiff(problems, or_value))) {
    return(paste("a valid input was refused:", conditionMessage(refused)))
  }
  if (!class(refused)[1L] %in% problems) {
    return(sprintf("%s (%s), expected %s", class(refused)[1L],
                   conditionMessage(refused), toString(problems)))
  }
  ""
}

#' Run call(): without problems its value must pass check (which returns
#' failure messages), with problems one of those condition classes must be
#' signalled. Anything else (another error, a warning, a failed check) is
#' counted as an other failure and recorded with the input's description.
attempt <- function(name, call, problems, check = NULL, input = "") {
  bump(name, "tried")
  result <- tryCatch(
    withCallingHandlers(list(value = call()), warning = function(w) {
      stop("warning leaked: ", conditionMessage(w), call. = FALSE)
    }),
    dlfs_error = function(e) list(refused = e),
    error = function(e) list(other = conditionMessage(e))
  )
  problem <- verdict_of(result, problems, check)
  if (nzchar(problem)) {
    bump(name, "other_failures")
    failures[[name]] <- c(failures[[name]], paste(problem, "|", input))
  } else {
    bump(name, if (is.null(result$refused)) "valid" else "clear_errors")
  }
  invisible(result$value)
}

#' One number (numeric, length 1, not NA): what a scalar argument must be
one_number <- function(v) {
  is.numeric(v) && length(v) == 1L && !is.na(v)
}

#' A whole number in lo..hi
whole_in <- function(v, lo, hi) {
  one_number(v) && v == trunc(v) && v >= lo && v <= hi
}

#' The recorded failures of a function must be none, with some of each
#' outcome
expect_contract <- function(name) {
  found <- failures[[name]]
  expect(is.null(found), paste(c(sprintf("%s: %d failures", name,
                                          length(found)), head(found, 5)),
                               collapse = "\n"))
  expect_gt(tally[[name]][["valid"]], 0)
}

#' Describe an input for a failure message
show <- function(...) {
  paste(vapply(list(...), function(v) {
    paste(deparse(v, width.cutoff = 200L, nlines = 3L), collapse = " ")
  }, ""), collapse = "; ")
}

#' Number of dimensions as the checks count them (a plain vector: 1)
ndim_of <- function(x) {
  if (is.null(dim(x))) 1L else length(dim(x))
}

#' |got - ref| <= bound elementwise, ignoring NA positions; else a message
close_to <- function(got, ref, bound, what) {
  ok <- is.na(ref) | (!is.na(got) & (got == ref | abs(got - ref) <= bound))
  if (!all(ok)) {
    i <- which(!ok)[1L]
    sprintf("%s: got %.17g, reference %.17g, bound %.3g", what, got[i],
            ref[i], bound[i])
  }
}

#' Start a file's counts afresh (the tallies are shared by the files)
reset_counts <- function() {
  rm(list = ls(tally), envir = tally)
  rm(list = ls(failures), envir = failures)
}

#' Write the file's counts to build/robustness/properties_<part>_r.json
#' (the README table) and expect no other failure, with at least min_tried
#' inputs tried
write_counts <- function(part, seed, min_tried) {
  names <- sort(ls(tally))
  counts <- lapply(names, function(n) as.list(tally[[n]]))
  names(counts) <- names
  total <- Reduce(`+`, lapply(names, function(n) tally[[n]]))
  path <- file.path(root, "build", "robustness",
                    sprintf("properties_%s_r.json", part))
  dir.create(dirname(path), recursive = TRUE, showWarnings = FALSE)
  jsonlite::write_json(list(
    language = "r", part = part,
    generator = sprintf("rng(%d), a fixed loop", seed),
    functions = counts, total = as.list(total),
    known_issues_outside_generators = character(0)
  ), path, auto_unbox = TRUE, pretty = TRUE, digits = NA)
  expect_identical(total[["other_failures"]], 0)
  expect_gt(total[["tried"]], min_tried)
}

# ------------------------------------------------------------------ shared

#' Rows of t (k columns) that are each one 1 among 0s
is_one_hot <- function(t, k) {
  !anyNA(t) && all(t == 0 | t == 1) &&
    all(rowSums(matrix(t, ncol = k) == 1) == 1)
}

#' n integer class codes in 0..k-1 (a vector or a 1-d array)
are_codes <- function(t, n, k) {
  if (!is.integer(t) || length(dim(t)) > 1L || length(t) != n || anyNA(t)) {
    return(FALSE)
  }
  !length(t) || (min(t) >= 0 && max(t) < k)
}

#' labels_of's contract for t against predictions of shape y_shape
label_problems <- function(t, y_shape) {
  if (!is.numeric(t)) return(type_error)
  k <- y_shape[length(y_shape)]
  if (identical(as.integer(shape_of(t)), as.integer(y_shape))) {
    return(if (!is_one_hot(t, k)) input_error)
  }
  if (!are_codes(t, if (length(y_shape) > 1L) y_shape[1L] else 1, k)) {
    input_error
  }
}

#' A target for predictions of shape y_shape: labels (some out of range),
#' one-hot rows (some broken), double labels, or anything
draw_target <- function(gen, y_shape) {
  if (length(y_shape) > 2L) y_shape <- y_shape[length(y_shape)]
  k <- y_shape[length(y_shape)]
  n <- if (length(y_shape) > 1L) y_shape[1L] else 1
  labels <- integers(gen, max(k, 1), n)
  one_hot <- matrix(0, n, k)
  if (k > 0 && n > 0) one_hot[cbind(seq_len(n), labels + 1L)] <- 1
  if (length(y_shape) < 2L) one_hot <- as.vector(one_hot)
  switch(draw_int(gen, 1, 9),
    labels, labels, one_hot, one_hot,
    { # a broken one-hot row
      if (length(one_hot)) {
        one_hot[draw_int(gen, 1, length(one_hot))] <-
          pick(gen, c(2, 0.5, 1, 0, NA))
      }
      one_hot
    },
    labels + pick(gen, list(-2L, as.integer(k), 0, 1.5)), # or double
    array(labels, length(labels)), # a 1-d array of labels
    draw_array(gen),
    pick(gen, list(as.logical(labels), as.character(labels), NULL,
                   replace(labels, 1L, NA_integer_)))
  )
}

#' Labels (0-based) of a checked t for y, and t's one-hot and label forms
target_forms <- function(t, y) {
  shape <- shape_of(y)
  k <- shape[length(shape)]
  labels <- if (identical(as.integer(shape_of(t)), as.integer(shape))) {
    max.col(matrix(t, ncol = k), ties.method = "first") - 1L
  } else {
    as.integer(t)
  }
  one_hot <- matrix(0, length(labels), k)
  one_hot[cbind(seq_along(labels), labels + 1L)] <- 1
  if (length(shape) < 2L) one_hot <- as.vector(one_hot)
  list(labels = labels, one_hot = one_hot)
}


#' require_count: a whole number >= minimum
count_problem <- function(n, minimum) {
  !whole_in(n, minimum, Inf) || !is.finite(n)
}
