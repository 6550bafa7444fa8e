# Read the fixture files: manifest checksums, the structure of
# fixtures/schema.json, every array's bits. Mirrors python/suite/fixtures_io.py:
# the same checks in the same order, each problem a dlfs_fixture_error
# naming the file (and the case).

# The fixtures directory; relative to the working directory until
# r/load.R makes it absolute for the repository it loads.
fixtures_root <- "fixtures"
fixtures_schema_version <- 1L
# R's largest dimension, and the patterns of schema.json.
fixture_max_extent <- 2^31 - 1
fixture_hex64 <- "^[0-9a-f]{64}$"
fixture_case_id <- "^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$"

#' Signal a fixture_error (a missing, tampered or malformed fixture file)
#'
#' @param ... Pieces of the message, pasted together.
fixture_error <- function(...) {
  dlfs_abort("fixture_error", paste0(...))
}

#' SHA-256 of the values as little-endian float64 bytes
#'
#' @param values Double vector, already in row-major order.
#' @return Hex digest.
bits_sha256 <- function(values) {
  bytes <- writeBin(as.double(values), raw(), endian = "little")
  digest::digest(bytes, algo = "sha256", serialize = FALSE)
}

#' SHA-256 of a file's bytes
#'
#' @param path File path.
#' @return Hex digest.
file_sha256 <- function(path) {
  digest::digest(file = path, algo = "sha256")
}

#' The parsed JSON of a file (or of its bytes raw)
#'
#' jsonlite would accept what Python's json refuses (invalid UTF-8, a NUL
#' cutting a string short): both are refused here first.
#'
#' @param path File path, for reading and for messages.
#' @param raw The file's bytes, if already read.
#' @return Parsed JSON (objects are named lists, arrays unnamed lists).
read_fixture_json <- function(path, raw = NULL) {
  if (is.null(raw)) raw <- read_fixture_bytes(path)
  text <- tryCatch(rawToChar(raw), error = function(e) {
    fixture_error(path, ": not valid JSON (a NUL byte)")
  })
  if (!validUTF8(text)) fixture_error(path, ": not UTF-8 text")
  # grepRaw: a quarter of grepl()'s time on the 8 MB files.
  if (length(grepRaw(charToRaw("\\u0000"), raw, fixed = TRUE))) {
    fixture_error(path, ": a string holds \\u0000")
  }
  failed <- function(e) {
    fixture_error(path, ": not valid JSON (",
                  sub("\n.*", "", conditionMessage(e)), ")")
  }
  tryCatch(jsonlite::parse_json(text), error = failed, warning = failed)
}

#' A file's bytes
#'
#' @param path File path.
#' @return Raw vector.
read_fixture_bytes <- function(path) {
  failed <- function(e) {
    fixture_error(path, ": cannot read (", conditionMessage(e), ")")
  }
  tryCatch(readBin(path, "raw", file.size(path)), error = failed,
           warning = failed)
}

#' The JSON type of a parsed value, for messages
#'
#' @param value Parsed JSON.
#' @return "an object", "an array", "a string", ...
json_kind <- function(value) {
  if (is.null(value)) return("null")
  if (is.list(value)) {
    return(if (is.null(names(value))) "an array" else "an object")
  }
  if (is.character(value)) return("a string")
  if (is.logical(value)) return("a boolean")
  "a number"
}

#' A parsed value shown as JSON, for messages
#'
#' @param value Parsed JSON.
#' @return A string.
json_show <- function(value) {
  tryCatch(as.character(jsonlite::toJSON(value, auto_unbox = TRUE,
                                         null = "null", digits = NA)),
           error = function(e) json_kind(value))
}

#' A JSON object (a named list, empty or not) or array (an unnamed list)
#'
#' @param value Parsed JSON.
#' @return TRUE or FALSE.
is_json_object <- function(value) is.list(value) && !is.null(names(value))

#' @rdname is_json_object
is_json_array <- function(value) is.list(value) && is.null(names(value))

#' A JSON number with an integral value (2 or 2.0; not true)
#'
#' @param value Parsed JSON.
#' @return TRUE or FALSE.
is_whole_number <- function(value) {
  is.numeric(value) && length(value) == 1L && is.finite(value) &&
    value == trunc(value)
}

#' A JSON string (jsonlite gives a length-1 character vector)
#'
#' @param value Parsed JSON.
#' @param pattern Regular expression it must match (PCRE: the default
#'   engine takes 35 microseconds to compile [0-9a-f]{64}, on every call).
#' @return TRUE or FALSE.
is_json_string <- function(value, pattern = "") {
  is.character(value) && length(value) == 1L && !is.na(value) &&
    grepl(pattern, value, perl = TRUE)
}

#' Check an object's keys: every required one, no other unless others
#'
#' @param obj Parsed JSON.
#' @param where Location for messages.
#' @param required Keys that must be present, in schema order.
#' @param optional Keys that may be present.
#' @param others Allow any other key.
check_keys <- function(obj, where, required = character(),
                       optional = character(), others = FALSE) {
  if (!is_json_object(obj)) {
    fixture_error(where, ": expected an object, found ", json_kind(obj))
  }
  keys <- names(obj)
  if (anyDuplicated(keys)) {
    fixture_error(where, ": not valid JSON (key '",
                  keys[anyDuplicated(keys)], "' appears twice in an object)")
  }
  missing <- setdiff(required, keys)
  if (length(missing)) fixture_error(where, ": missing key '", missing[1], "'")
  unknown <- setdiff(keys, c(required, optional))
  if (!others && length(unknown)) {
    fixture_error(where, ": unknown key '", unknown[1], "'")
  }
}

#' A JSON array of whole numbers in low..high, as doubles
#'
#' @param value Parsed JSON.
#' @param where Location for messages.
#' @param low,high Allowed range.
#' @param non_empty Require at least one number.
#' @return Double vector.
check_whole_list <- function(value, where, low, high, non_empty) {
  if (!is_json_array(value) || (non_empty && length(value) == 0L)) {
    found <- if (is_json_array(value)) "an empty array" else json_kind(value)
    fixture_error(where, ": expected a", if (non_empty) " non-empty",
                  " array of integers, found ", found)
  }
  bad <- !vapply(value, is_whole_number, NA)
  values <- as.double(unlist(value[!bad]))
  bad[!bad] <- values < low | values > high
  if (any(bad)) {
    fixture_error(where, ": ", json_show(value[[which(bad)[1L]]]),
                  " is not an integer in ", low, "..", high)
  }
  values
}

#' An ARRAY's data list as doubles, its nulls as 0; numbers only, finite
#'
#' lengths() and rapply() instead of an R-level test per entry: the large
#' fixture files hold about a million entries.
#'
#' @param data The parsed data list.
#' @param where Location for messages.
#' @return list(values = double vector, is_null = logical vector).
numeric_data <- function(data, where) {
  if (!is_json_array(data)) {
    fixture_error(where, ".data: expected an array, found ", json_kind(data))
  }
  is_null <- lengths(data) == 0L
  flagged <- rapply(data, function(x) TRUE, how = "unlist", deflt = FALSE,
                    classes = c("logical", "character"))
  values <- unlist(data[!is_null], recursive = FALSE)
  if (any(flagged) || any(!vapply(data[is_null], is.null, NA)) ||
        (length(values) && !is.numeric(values))) {
    bad <- Find(function(v) !is.null(v) && !(is.numeric(v) && length(v) == 1L),
                data)
    fixture_error(where, ".data: holds ", json_kind(bad),
                  ", only numbers and null are allowed")
  }
  out <- numeric(length(data))
  out[!is_null] <- values
  if (!all(is.finite(out))) {
    fixture_error(where, ".data: a number beyond float64 (nonfinite values ",
                  "are null entries)")
  }
  list(values = out, is_null = is_null)
}

# Values written for the keys of an ARRAY's "nonfinite" map. NaN is R's
# constant, whose bits (0x7ff8000000000000) are numpy's nan.
nonfinite_values <- c(nan = NaN, posinf = Inf, neginf = -Inf)

#' An ARRAY's "nonfinite" map, checked: known keys, non-empty index lists
#'
#' @param obj The ARRAY object.
#' @param where Location for messages.
#' @return Named list of double index vectors (0-based).
check_nonfinite <- function(obj, where) {
  if (!"nonfinite" %in% names(obj)) return(list())
  nonfinite <- obj[["nonfinite"]]
  where <- paste0(where, ".nonfinite")
  check_keys(nonfinite, where, optional = names(nonfinite_values))
  if (length(nonfinite) == 0L) {
    fixture_error(where, ": empty (leave the key out when there is nothing ",
                  "to list)")
  }
  for (key in names(nonfinite)) {
    nonfinite[[key]] <- check_whole_list(nonfinite[[key]],
                                         paste0(where, ".", key), 0, Inf, TRUE)
  }
  nonfinite
}

#' One ARRAY object to an R vector or matrix, structure and bits verified
#'
#' Python's decode_array, renamed: the modules share one environment and
#' r/suite/checkpoint.R defines a decode_array of its own.
#' data is row-major; a 2-d shape becomes matrix(byrow = TRUE), higher ones
#' an aperm'ed array, shape [] a length-1 vector. int64 becomes integer when
#' it fits (labels and indices), else double.
#'
#' @param obj A parsed ARRAY object.
#' @param where Location for messages ("file:case.key").
#' @return The decoded array.
decode_fixture_array <- function(obj, where) {
  shape <- check_array_fields(obj, where)
  nonfinite <- check_nonfinite(obj, where)
  data <- numeric_data(obj[["data"]], where)
  values <- data$values
  listed <- sort(unlist(nonfinite))
  nulls <- which(data$is_null) - 1
  if (length(nulls) != length(listed) || any(nulls != listed)) {
    fixture_error(where, ": null entries and 'nonfinite' indices disagree")
  }
  for (key in names(nonfinite)) {
    values[nonfinite[[key]] + 1] <- nonfinite_values[[key]]
  }
  if (!identical(bits_sha256(values), obj[["sha256"]])) {
    fixture_error(where,
                  ": values do not match their sha256 (misparsed or edited)")
  }
  if (prod(shape) != length(values)) {
    fixture_error(where, ": ", length(values), " values for shape (",
                  toString(shape), ")")
  }
  if (obj[["dtype"]] == "int64") values <- as_int64(values, nonfinite, where)
  row_major_array(values, as.integer(shape))
}

#' An ARRAY's keys, dtype, shape and sha256 checked
#'
#' @inheritParams decode_fixture_array
#' @return The shape, a double vector of extents.
check_array_fields <- function(obj, where) {
  check_keys(obj, where, c("dtype", "shape", "data", "sha256"), "nonfinite")
  dtype <- obj[["dtype"]]
  if (!is_json_string(dtype) || !dtype %in% c("float64", "int64")) {
    fixture_error(where, ".dtype: ", json_show(dtype),
                  " is not \"float64\" or \"int64\"")
  }
  if (!is_json_string(obj[["sha256"]], fixture_hex64)) {
    fixture_error(where, ".sha256: not 64 lower-case hex digits")
  }
  check_whole_list(obj[["shape"]], paste0(where, ".shape"), 0,
                   fixture_max_extent, FALSE)
}

#' The values of an int64 ARRAY: integers (as R integers when they fit)
#'
#' @param values Decoded doubles.
#' @param nonfinite The checked "nonfinite" map (must be empty).
#' @param where Location for messages.
#' @return Integer vector, or double if a value is beyond R's integers.
as_int64 <- function(values, nonfinite, where) {
  if (length(nonfinite) || any(abs(values) > 2^53) ||
        any(values != round(values))) {
    fixture_error(where, ": an int64 ARRAY holds a value that is not an ",
                  "integer")
  }
  if (all(abs(values) <= .Machine$integer.max)) values <- as.integer(values)
  values
}

#' An array of this shape from its flat row-major values
#'
#' @param values Flat values in numpy's C order.
#' @param shape Integer extents; empty for a scalar.
#' @return A vector (0 or 1 extents), matrix, or array.
row_major_array <- function(values, shape) {
  if (length(shape) <= 1L) {
    return(values)
  }
  if (length(shape) == 2L) {
    return(matrix(values, nrow = shape[1L], ncol = shape[2L], byrow = TRUE))
  }
  aperm(array(values, dim = rev(shape)))
}

#' An ARRAY, or a non-empty map of names to ARRAYs
#'
#' @param value Parsed JSON.
#' @param where Location for messages.
#' @return A decoded array or a named list of them.
decode_array_or_map <- function(value, where) {
  is_object <- is_json_object(value)
  if (is_object && "dtype" %in% names(value)) {
    return(decode_fixture_array(value, where))
  }
  if (!is_object || length(value) == 0L) {
    fixture_error(where, ": expected an ARRAY or a map of ARRAYs, found ",
                  if (is_object) "an empty object" else json_kind(value))
  }
  check_keys(value, where, others = TRUE)
  # Loops, not lapply(function ...): a new closure per call is compiled anew.
  for (k in names(value)) {
    value[[k]] <- decode_fixture_array(value[[k]], paste0(where, ".", k))
  }
  value
}

#' One input: an ARRAY or map of ARRAYs decoded; a number or string as is
#'
#' @param value Parsed JSON.
#' @param where Location for messages.
#' @return The decoded input.
decode <- function(value, where) {
  if (is_json_object(value)) {
    return(decode_array_or_map(value, where))
  }
  if (is_json_string(value) ||
        (is.numeric(value) && length(value) == 1L && is.finite(value))) {
    return(value)
  }
  fixture_error(where, ": expected an ARRAY, a map of ARRAYs, a finite ",
                "number or a string, found ", json_kind(value))
}

#' The sampled elements: for each expected weight, indices into the weight
#'
#' @param case The case, its inputs and expected values decoded.
#' @param where Location for messages.
#' @return case$sample, unchanged.
check_sample <- function(case, where) {
  sample <- case[["sample"]]
  check_keys(sample, paste0(where, ".sample"), others = TRUE)
  expected <- case[["expected"]]
  params <- case[["inputs"]][["params"]]
  if (!is.list(expected) || !setequal(names(sample), names(expected))) {
    fixture_error(where, ".sample: its keys must be those of the expected map")
  }
  for (key in names(sample)) {
    limit <- if (is.list(params) && key %in% names(params)) {
      length(params[[key]]) - 1
    } else {
      Inf
    }
    at <- paste0(where, ".sample.", key)
    indices <- check_whole_list(sample[[key]], at, 0, limit, TRUE)
    if (length(indices) != length(expected[[key]])) {
      fixture_error(at, ": ", length(indices), " indices, ",
                    length(expected[[key]]), " expected values")
    }
  }
  sample
}

#' One case checked against schema.json and tolerances.json, arrays decoded
#'
#' @param case Parsed JSON.
#' @param where Location for messages ("file:id").
#' @param classes Names of the tolerance classes.
#' @return The case with inputs, expected and err_scale decoded.
decode_case <- function(case, where, classes) {
  check_case_fields(case, where, classes)
  inputs <- case[["inputs"]]
  for (k in names(inputs)) {
    inputs[k] <- list(decode(inputs[[k]], paste0(where, ".inputs.", k)))
  }
  case["inputs"] <- list(inputs)
  for (key in intersect(c("expected", "err_scale"), names(case))) {
    case[key] <- list(decode_array_or_map(case[[key]], paste0(where, ".", key)))
  }
  if ("sample" %in% names(case)) check_sample(case, where)
  case
}

#' A case's keys, id, group, description, tolerance class and inputs map
#'
#' @inheritParams decode_case
check_case_fields <- function(case, where, classes) {
  check_keys(case, where, c("id", "group", "description", "tolerance",
                            "inputs", "expected"),
             c("err_scale", "sample"))
  if (!is_json_string(case[["id"]], fixture_case_id)) {
    fixture_error(where, ".id: ", json_show(case[["id"]]),
                  " is not a case id (like edge/x_1.5)")
  }
  if (!is_json_string(case[["group"]])) {
    fixture_error(where, ".group: expected a string")
  }
  if (!is_json_string(case[["description"]], ".")) {
    fixture_error(where, ".description: expected a non-empty string")
  }
  if (!is_json_string(case[["tolerance"]]) ||
        !case[["tolerance"]] %in% classes) {
    fixture_error(where, ".tolerance: ", json_show(case[["tolerance"]]),
                  " is not a class of tolerances.json (",
                  paste(sort(classes), collapse = ", "), ")")
  }
  inputs <- case[["inputs"]]
  if (!is_json_object(inputs) || length(inputs) == 0L) {
    fixture_error(where, ".inputs: expected a non-empty object, found ",
                  json_kind(inputs))
  }
  check_keys(inputs, paste0(where, ".inputs"), others = TRUE)
}

#' The manifest's entries: each a relative path, a SHA-256, a case count
#'
#' All entries at once: the fuzz tests read the manifest thousands of times.
#'
#' @param files The parsed "files" object.
#' @param where Location for messages.
check_manifest_entries <- function(files, where) {
  keys <- c("path", "sha256", "cases")
  for (name in names(files)) {
    entry <- files[[name]]
    if (!is_json_object(entry) || !all(keys %in% names(entry)) ||
          anyDuplicated(names(entry))) {
      check_keys(entry, paste0(where, ".", name), keys, others = TRUE)
    }
  }
  field <- function(key) lapply(files, `[[`, key)
  text <- function(values) vapply(values, paste, "", collapse = "")
  string <- function(values, pattern) {
    vapply(values, is.character, NA) & lengths(values) == 1L &
      grepl(pattern, text(values), perl = TRUE)
  }
  paths <- field("path")
  first_bad(!string(paths, fixture_case_id) |
              grepl("(^|/)[.][.](/|$)", text(paths)), files, where, "path",
            " is not a relative path like cases/x.json")
  first_bad(!string(field("sha256"), fixture_hex64), files, where, "sha256",
            " is not 64 lower-case hex digits")
  first_bad(!vapply(field("cases"), function(n) {
    is_whole_number(n) && n >= 0
  }, NA), files, where, "cases", " is not a case count")
}

#' Report the first manifest entry whose field is bad, if any
#'
#' @param bad Logical, one per entry.
#' @param files The parsed "files" object.
#' @param where Location for messages.
#' @param key The field.
#' @param problem What is wrong with it.
first_bad <- function(bad, files, where, key, problem) {
  if (any(bad)) {
    name <- names(files)[bad][1L]
    fixture_error(where, ".", name, ".", key, ": ",
                  json_show(files[[name]][[key]]), problem)
  }
}

#' The first key given twice in an object anywhere in a parsed document
#'
#' Python's reader refuses such documents while parsing; jsonlite keeps
#' both copies. Used on the small documents (manifest, tolerances); case
#' files have their objects checked one by one in check_keys().
#'
#' @param x Parsed JSON.
#' @return The key, or NULL.
duplicate_key <- function(x) {
  if (!is.list(x)) return(NULL)
  keys <- names(x)
  if (!is.null(keys) && anyDuplicated(keys)) return(keys[anyDuplicated(keys)])
  for (v in x) {
    key <- duplicate_key(v)
    if (!is.null(key)) return(key)
  }
  NULL
}

#' A small JSON document, refused if an object repeats a key
#'
#' @param path File path.
#' @return Parsed JSON.
read_small_json <- function(path) {
  doc <- read_fixture_json(path)
  key <- duplicate_key(doc)
  if (!is.null(key)) {
    fixture_error(path, ": not valid JSON (key '", key,
                  "' appears twice in an object)")
  }
  doc
}

#' The manifest, after checking its schema version and every entry's form
#'
#' @param root The fixtures directory.
#' @return Parsed manifest (a list).
load_manifest <- function(root = fixtures_root) {
  path <- file.path(root, "manifest.json")
  if (!file.exists(path) || dir.exists(path)) {
    fixture_error(path, " is missing: run `make fixtures`")
  }
  manifest <- read_small_json(path)
  check_keys(manifest, path, c("schema_version", "files"), others = TRUE)
  version <- manifest[["schema_version"]]
  if (!is_whole_number(version) || version != fixtures_schema_version) {
    fixture_error(path, ": schema_version ", json_show(version),
                  ", this reader understands ", fixtures_schema_version)
  }
  check_keys(manifest[["files"]], paste0(path, ": files"), others = TRUE)
  check_manifest_entries(manifest[["files"]], paste0(path, ": files"))
  manifest
}

#' The path of a hand-written policy file, after its manifest checksum
#'
#' tolerances.json, bad_inputs.json, ...: a changed byte would loosen or
#' drop checks silently.
#'
#' @param name File name in the fixtures directory.
#' @param root The fixtures directory.
#' @return The path.
verify_policy_file <- function(name, root = fixtures_root) {
  path <- file.path(root, name)
  listed <- load_manifest(root)[["policy_files"]][[name]]
  if (!is.character(listed) || length(listed) != 1L) {
    fixture_error(file.path(root, "manifest.json"),
                  ": no policy_files checksum for ", name,
                  ": run `make fixtures`")
  }
  if (!file.exists(path) || dir.exists(path)) fixture_error(path, " is missing")
  if (!identical(file_sha256(path), listed)) {
    fixture_error(path, ": sha256 does not match the manifest's ",
                  "(edited since `make fixtures`?)")
  }
  path
}

#' Names of the tolerance classes a case may use
#'
#' @param root The fixtures directory.
#' @return Character vector.
tolerance_classes <- function(root = fixtures_root) {
  path <- file.path(root, "tolerances.json")
  if (!file.exists(path) || dir.exists(path)) {
    fixture_error(path, " is missing")
  }
  doc <- read_small_json(path)
  check_keys(doc, path, "classes", others = TRUE)
  classes <- doc[["classes"]]
  if (!is_json_object(classes) || length(classes) == 0L) {
    fixture_error(path, ": 'classes' must be a non-empty object")
  }
  names(classes)
}

#' A case file's top level: schema version, function, description, cases
#'
#' @param doc Parsed JSON.
#' @param path File path, for messages.
#' @param fn The function the manifest lists the file for.
check_case_file <- function(doc, path, fn) {
  check_keys(doc, path, c("schema_version", "function", "description",
                          "cases"))
  version <- doc[["schema_version"]]
  if (!is_whole_number(version) || version != fixtures_schema_version) {
    fixture_error(path, ": schema_version ", json_show(version),
                  ", this reader understands ", fixtures_schema_version)
  }
  if (!identical(doc[["function"]], fn) ||
        !is_json_string(doc[["description"]])) {
    fixture_error(path, ": 'function' is ", json_show(doc[["function"]]),
                  ", the manifest lists the file for '", fn,
                  "' (or 'description' is not a string)")
  }
  cases <- doc[["cases"]]
  if (!is_json_array(cases) || length(cases) == 0L) {
    fixture_error(path, ": 'cases' must be a non-empty array")
  }
}

#' All cases of one function, decoded, after verifying the file
#'
#' @param fn Function name as in the manifest ("sigmoid", "Rng.normal", ...).
#' @param root The fixtures directory.
#' @return Unnamed list of cases (each a list with id, inputs, expected, ...).
load_cases <- function(fn, root = fixtures_root) {
  entry <- load_manifest(root)[["files"]][[fn]]
  if (is.null(entry)) {
    fixture_error("no fixture file for '", fn, "' in ",
                  file.path(root, "manifest.json"))
  }
  path <- file.path(root, entry[["path"]])
  if (!file.exists(path) || dir.exists(path)) {
    fixture_error(path, " is listed in the manifest but missing")
  }
  raw <- read_fixture_bytes(path)
  file_digest <- digest::digest(raw, algo = "sha256", serialize = FALSE)
  if (!identical(file_digest, entry[["sha256"]])) {
    fixture_error(path, ": sha256 ", substr(file_digest, 1, 12),
                  "... does not match the manifest's ",
                  substr(entry[["sha256"]], 1, 12),
                  "... (file edited or corrupt; run `make fixtures`)")
  }
  doc <- read_fixture_json(path, raw)
  check_case_file(doc, path, fn)
  classes <- tolerance_classes(root)
  cases <- list()
  for (k in seq_along(doc[["cases"]])) {
    case <- doc[["cases"]][[k]]
    id <- if (is.list(case)) case[["id"]]
    name <- if (is_json_string(id)) id else sprintf("cases[%d]", k - 1L)
    cases[[k]] <- decode_case(case, paste0(path, ":", name), classes)
    if (cases[[k]][["id"]] %in% vapply(cases[-k], `[[`, "", "id")) {
      fixture_error(path, ": case id '", cases[[k]][["id"]], "' appears twice")
    }
  }
  if (length(cases) != entry[["cases"]]) {
    fixture_error(path, ": ", length(cases), " cases, the manifest says ",
                  entry[["cases"]])
  }
  cases
}

#' Names of all functions that have fixture files, in manifest order
#'
#' @param root The fixtures directory.
#' @return Character vector.
fixture_functions <- function(root = fixtures_root) {
  names(load_manifest(root)[["files"]])
}
