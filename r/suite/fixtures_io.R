# Read the fixture files: the manifest's checksums, then every array's bits.
# Mirrors python/suite/fixtures_io.py, which alone checks schema.json: R
# decodes a file that passed its checksum, any failure one dlfs_fixture_error
# naming the file and the case.

# Relative to the working directory until r/load.R makes it absolute.
fixtures_root <- "fixtures"
fixtures_schema_version <- 1L
# An ARRAY's "nonfinite" keys; R's NaN has numpy's nan bits (0x7ff8...).
nonfinite_values <- c(nan = NaN, posinf = Inf, neginf = -Inf)

# A fixture_error (a missing, tampered or malformed file), the message pasted.
fixture_error <- function(...) dlfs_abort("fixture_error", paste0(...))

# Stop unless path is a file: "<path> is <why>missing<hint>".
require_file <- function(path, why = "", hint = "") {
  if (!file.exists(path) || dir.exists(path)) {
    fixture_error(path, " is ", why, "missing", hint)
  }
}

# expr's value; any error or warning in it a fixture_error at where.
decoding <- function(where, expr) {
  failed <- function(e) {
    fixture_error(where, ": ", sub("\n.*", "", conditionMessage(e)))
  }
  tryCatch(expr, dlfs_fixture_error = function(e) stop(e), error = failed,
           warning = failed)
}

# Stop with the message (its pieces in ...) unless ok is TRUE.
need <- function(ok, ...) if (!isTRUE(ok)) stop(paste0(...), call. = FALSE)

# A JSON string, a finite number, a non-empty object without a repeated key.
is_string <- function(x) is.character(x) && length(x) == 1L
is_number <- function(x) is.numeric(x) && length(x) == 1L && is.finite(x)
is_map <- function(x) {
  is.list(x) && length(x) && !is.null(names(x)) && !anyDuplicated(names(x))
}

# SHA-256 of the values (row-major) as little-endian float64 bytes.
bits_sha256 <- function(values) {
  bytes <- writeBin(as.double(values), raw(), endian = "little")
  digest::digest(bytes, algo = "sha256", serialize = FALSE)
}

# SHA-256 of a file's bytes.
file_sha256 <- function(path) {
  digest::digest(file = path, algo = "sha256")
}

# The parsed JSON of a file: lists, named or not.
read_fixture_json <- function(path) {
  raw <- decoding(path, readBin(path, "raw", file.size(path)))
  decoding(paste0(path, ": not valid JSON"), {
    text <- rawToChar(raw)
    need(validUTF8(text), "not UTF-8 text")
    jsonlite::parse_json(text)
  })
}

# A document (from path) of the schema version this reader understands.
check_version <- function(doc, path) {
  version <- if (is.list(doc)) doc[["schema_version"]]
  if (!identical(version, fixtures_schema_version)) {
    fixture_error(path, ": schema_version ",
                  if (is.null(version)) "missing" else toString(version),
                  ", this reader understands ", fixtures_schema_version)
  }
}

# One ARRAY (name: its place in the case) decoded, its bits verified; int64
# as integer when it fits (checkpoint.R has Python's name, decode_array).
decode_fixture_array <- function(obj, name) {
  need(is_map(obj) && is_string(obj[["dtype"]]) &&
         obj[["dtype"]] %in% c("float64", "int64"),
       name, ": not a float64 or an int64 ARRAY")
  values <- array_values(obj, name)
  shape <- unlist(obj[["shape"]])
  need(is.list(obj[["shape"]]) && (is.null(shape) || is.integer(shape)) &&
         all(shape >= 0) && prod(shape) == length(values), name, ": ",
       length(values), " values for shape (", toString(shape), ")")
  if (obj[["dtype"]] == "int64") {
    need(all(values == round(values)), name, ": int64 values not integers")
    if (all(abs(values) <= .Machine$integer.max)) values <- as.integer(values)
  }
  row_major_array(values, shape)
}

# An ARRAY's values: data as doubles, nonfinite entries set, bits verified.
array_values <- function(obj, name) {
  data <- obj[["data"]]
  data[lengths(data) == 0L] <- list(0)
  values <- unlist(data)
  need(is.list(data) && (is.null(values) || is.numeric(values)) &&
         length(values) == length(data) && all(is.finite(values)),
       name, ": data are not finite numbers")
  for (key in names(obj[["nonfinite"]])) {
    at <- as.double(unlist(obj[["nonfinite"]][[key]]))
    need(all(at >= 0 & at < length(values)), name,
         ": nonfinite indices out of range")
    values[at + 1] <- nonfinite_values[[key]]
  }
  need(identical(bits_sha256(values), obj[["sha256"]]), name,
       ": values do not match their sha256 (misparsed or edited)")
  as.double(values)
}

# An array of this shape (a vector for one extent) from row-major values.
row_major_array <- function(values, shape) {
  if (length(shape) <= 1L) {
    return(values)
  }
  aperm(array(values, dim = rev(shape)))
}

# An ARRAY or a map of ARRAYs decoded; an input may be a number or a string.
decode <- function(value, name, input = TRUE) {
  if (!is.list(value)) {
    need(input && (is_string(value) || is_number(value)),
         name, ": not an ARRAY, a map of ARRAYs, a number or a string")
    return(value)
  }
  if ("dtype" %in% names(value)) return(decode_fixture_array(value, name))
  need(is_map(value), name, ": not an ARRAY or a map of ARRAYs")
  Map(decode_fixture_array, value, paste0(name, ".", names(value)))
}

# Each sampled weight's indices (case decoded) lie inside that weight.
check_sample <- function(case) {
  sample <- case[["sample"]]
  need(setequal(names(sample), names(case[["expected"]])),
       "sample: its keys must be those of the expected map")
  for (key in names(sample)) {
    at <- unlist(sample[[key]])
    limit <- length(case[["inputs"]][["params"]][[key]])
    need(is.numeric(at) && length(at) == length(case[["expected"]][[key]]) &&
           all(at >= 0 & at < limit & at == trunc(at)),
         "sample.", key, ": not ", length(case[["expected"]][[key]]),
         " indices below ", limit)
  }
}

# One case: its tolerance class one of classes, arrays decoded, sample valid.
decode_case <- function(case, classes) {
  need(is_map(case), "not an object, or a key appears twice")
  # err_scale and sample are optional: a misspelt one would be lost.
  unknown <- setdiff(names(case), c("id", "group", "description", "tolerance",
                                    "inputs", "expected", "err_scale",
                                    "sample"))
  need(!length(unknown), "unknown key '", unknown[1], "'")
  need(is_string(case[["id"]]), "id: not a string")
  need(isTRUE(case[["tolerance"]] %in% classes), "tolerance \"",
       case[["tolerance"]], "\" is not a class of tolerances.json")
  need(!is.null(case[["expected"]]), "no expected value")
  inputs <- case[["inputs"]]
  need(is_map(inputs), "inputs: not a map")
  case["inputs"] <- list(Map(decode, inputs, paste0("inputs.", names(inputs))))
  for (key in intersect(c("expected", "err_scale"), names(case))) {
    case[key] <- list(decode(case[[key]], key, input = FALSE))
  }
  if ("sample" %in% names(case)) check_sample(case)
  case
}

# The manifest, its schema version and its paths checked.
load_manifest <- function(root = fixtures_root) {
  path <- file.path(root, "manifest.json")
  require_file(path, hint = ": run `make fixtures`")
  manifest <- read_fixture_json(path)
  check_version(manifest, path)
  decoding(path, {
    need(!anyDuplicated(names(manifest)), "a key appears twice")
    files <- manifest[["files"]]
    need(is_map(files) || identical(files, setNames(list(), character())),
         "files: not a map")
    for (name in names(files)) {
      file <- files[[name]][["path"]]
      need(is_string(file) && !grepl("^/|(^|/)[.][.](/|$)", file), "files.",
           name, ".path: \"", file[1], "\" is not a relative path")
    }
  })
  manifest
}

# The path of a hand-written policy file (tolerances.json, ...: a changed
# byte would loosen or drop checks silently), after its manifest checksum.
verify_policy_file <- function(name, root = fixtures_root) {
  path <- file.path(root, name)
  listed <- load_manifest(root)[["policy_files"]][[name]]
  if (!is.character(listed) || length(listed) != 1L) {
    fixture_error(file.path(root, "manifest.json"),
                  ": no policy_files checksum for ", name,
                  ": run `make fixtures`")
  }
  require_file(path)
  if (!identical(file_sha256(path), listed)) {
    fixture_error(path, ": sha256 does not match the manifest's ",
                  "(edited since `make fixtures`?)")
  }
  path
}

# All cases of one function ("sigmoid", ...), decoded after its checksum.
load_cases <- function(fn, root = fixtures_root) {
  entry <- load_manifest(root)[["files"]][[fn]]
  if (is.null(entry)) {
    fixture_error("no fixture file for '", fn, "' in ",
                  file.path(root, "manifest.json"))
  }
  path <- file.path(root, entry[["path"]])
  require_file(path, "listed in the manifest but ")
  if (!identical(file_sha256(path), entry[["sha256"]])) {
    fixture_error(path, ": sha256 does not match the manifest's (file ",
                  "edited or corrupt; run `make fixtures`)")
  }
  doc <- read_fixture_json(path)
  check_version(doc, path)
  cases <- doc[["cases"]]
  decoding(path, {
    need(identical(doc[["function"]], fn), "'function' is not '", fn, "'")
    need(is.list(cases) && is.null(names(cases)) &&
           length(cases) == entry[["cases"]],
         length(cases), " cases, the manifest says ", entry[["cases"]])
  })
  policy <- read_fixture_json(file.path(root, "tolerances.json"))
  classes <- names(policy[["classes"]])
  for (k in seq_along(cases)) {
    id <- if (is.list(cases[[k]])) cases[[k]][["id"]]
    name <- if (is.character(id)) id[1] else sprintf("cases[%d]", k - 1L)
    cases[[k]] <- decoding(paste0(path, ":", name),
                           decode_case(cases[[k]], classes))
  }
  ids <- vapply(cases, `[[`, "", "id")
  decoding(path, need(!anyDuplicated(ids), "case id '",
                      ids[anyDuplicated(ids)], "' appears twice"))
  cases
}

# Names of all functions that have fixture files, in manifest order.
fixture_functions <- function(root = fixtures_root) {
  names(load_manifest(root)[["files"]])
}
