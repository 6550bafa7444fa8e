# Shared by the fuzz tests of the readers (issue 8; test-fuzz_readers_*.R):
# the tally of outcomes, the verdict on one call, byte mutations, JSON text.
# Mirrors tests/fuzz_helpers.py. Every mutation must give a result
# consistent with the mutated file, or the project's condition
# (dlfs_data_file_error / dlfs_fixture_error) naming the file; anything else
# (another error, a warning, a message without the file) is an "other
# failure". The counts are fixed, not time-based, and go to
# build/robustness/fuzz_idx_r.json and fuzz_fixtures_r.json.

fuzz_seed <- 20250808L

# --- the tally of outcomes ----------------------------------------------

new_tally <- function() {
  tally <- new.env()
  tally$counts <- list()
  tally$failures <- character()
  tally
}

tally_add <- function(tally, operator, outcome, detail = "") {
  counts <- tally$counts[[operator]]
  if (is.null(counts)) counts <- c(clear_error = 0L, result = 0L)
  counts[[outcome]] <- if (outcome %in% names(counts)) {
    counts[[outcome]] + 1L
  } else {
    1L
  }
  tally$counts[[operator]] <- counts
  if (outcome == "other_failure") {
    tally$failures <- c(tally$failures, paste0(operator, ": ", detail))
  }
}

tally_total <- function(tally, outcome) {
  sum(vapply(tally$counts, function(c) {
    if (outcome %in% names(c)) c[[outcome]] else 0L
  }, 0L))
}

tally_write <- function(tally, name, extra = list(), root) {
  ops <- sort(names(tally$counts))
  by_operator <- lapply(ops, function(op) {
    c <- tally$counts[[op]]
    as.list(c[c > 0L][order(names(c[c > 0L]))])
  })
  names(by_operator) <- ops
  record <- c(list(reader = name, language = "r", seed = fuzz_seed), extra,
              list(mutations = sum(unlist(tally$counts)),
                   results = tally_total(tally, "result"),
                   clear_errors = tally_total(tally, "clear_error"),
                   other_failures = tally_total(tally, "other_failure"),
                   by_operator = by_operator,
                   failures = I(utils::head(tally$failures, 20L))))
  out <- file.path(root, "build", "robustness")
  dir.create(out, recursive = TRUE, showWarnings = FALSE)
  tmp <- file.path(out, sprintf(".fuzz_%s_r.json.tmp", name))
  jsonlite::write_json(record, tmp, auto_unbox = TRUE, pretty = TRUE)
  file.rename(tmp, file.path(out, sprintf("fuzz_%s_r.json", name)))
}

# list(outcome, value): "result" with the value, "clear_error" with the
# message, or "other_failure" with why.
outcome_of <- function(call, class, named) {
  tryCatch(
    list("result", call()),
    condition = function(e) {
      message <- conditionMessage(e)
      if (!inherits(e, class)) {
        why <- paste0(class(e)[1L], ": ", message)
        return(list("other_failure", why))
      }
      if (!grepl(named, message, fixed = TRUE)) {
        return(list("other_failure",
                    paste("message does not name", named, ":", message)))
      }
      list("clear_error", message)
    }
  )
}

# --- byte mutations -----------------------------------------------------

flip_bytes <- function(raw, n, bit = FALSE) {
  for (k in seq_len(n)) {
    if (length(raw) == 0L) break
    at <- sample.int(length(raw), 1L)
    mask <- if (bit) 2L^(sample.int(8L, 1L) - 1L) else sample.int(255L, 1L)
    raw[at] <- as.raw(bitwXor(as.integer(raw[at]), mask))
  }
  raw
}

random_bytes <- function(n) as.raw(sample.int(256L, n, TRUE) - 1L)

mutate_bytes <- function(raw, op) {
  switch(op,
    truncate = raw[seq_len(sample.int(length(raw), 1L) - 1L)],
    flip = flip_bytes(raw, sample.int(4L, 1L)),
    insert = {
      at <- sample.int(length(raw) + 1L, 1L) - 1L
      c(raw[seq_len(at)], random_bytes(sample.int(4L, 1L)),
        raw[seq_len(length(raw) - at) + at])
    },
    append = c(raw, random_bytes(sample.int(4L, 1L)))
  )
}

pick_one <- function(x) x[[sample.int(length(x), 1L)]]

named_list <- function() structure(list(), names = character())

# --- JSON text ----------------------------------------------------------

# Parsed JSON (jsonlite) back to text; doubles exactly (17 significant
# digits, "-0.0" and "2.0" stay doubles), integers as integers.
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    items <- character(length(x))
    scalar <- lengths(x) == 1L & vapply(x, is.numeric, NA)
    if (any(scalar)) items[scalar] <- number_text(unlist(x[scalar]))
    items[!scalar] <- vapply(x[!scalar], to_json, "")
    if (is.null(names(x))) {
      return(paste0("[", paste(items, collapse = ","), "]"))
    }
    keys <- encodeString(names(x), quote = "\"")
    return(paste0("{", paste0(keys, ":", items, collapse = ","), "}"))
  }
  if (is.character(x)) return(encodeString(x, quote = "\""))
  if (is.logical(x)) return(if (x) "true" else "false")
  number_text(x)
}

number_text <- function(v) {
  if (is.integer(v)) return(as.character(v))
  text <- sprintf("%.17g", v)
  plain <- !grepl("[.en]", text)
  text[plain] <- paste0(text[plain], ".0")
  text
}
# --- what a fixture result must keep ------------------------------------

# An input that can only be a decoded ARRAY (a map, a matrix, not one
# number); R cannot tell a decoded one-element ARRAY from a plain number.
is_array_input <- function(v) {
  is.list(v) || length(v) != 1L || !is.null(dim(v))
}

# The leaves of nested lists, in order, without names.
leaves <- function(x) {
  if (is.list(x)) do.call(c, lapply(unname(x), leaves)) else list(x)
}

# What the array checksums protect: expected values, error scales, arrays
# (their values and shapes; map keys are names, compared by key_names()).
case_arrays <- function(cases) {
  lapply(cases, function(c) {
    leaves(list(c$expected, c$err_scale, Filter(is_array_input, c$inputs)))
  })
}

# The keys of the maps of each case (inputs, expected, err_scale).
key_names <- function(cases) {
  keys <- function(x) if (is.list(x)) c(list(names(x)), lapply(x, keys))
  lapply(cases, function(c) keys(c[c("inputs", "expected", "err_scale")]))
}

# The other inputs: plain numbers and strings (and one-element ARRAYs).
plain_inputs <- function(cases) {
  lapply(cases, function(c) Filter(Negate(is_array_input), c$inputs))
}
# What the R reader vouches for in a result: the values under the array
# checksums, the tolerance classes and the sampled indices. Ids, map keys
# and plain inputs are counted apart: no checksum covers them.
vouched <- function(cases) {
  lapply(cases, function(c) {
    arrays <- list(c$expected, c$err_scale, Filter(is_array_input, c$inputs))
    list(leaves(arrays), c$tolerance, c$sample)
  })
}
