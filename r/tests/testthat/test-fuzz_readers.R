# Fuzz tests of the IDX reader and the fixture reader (issue 8): seeded
# mutations of real files. Mirrors tests/test_fuzz_readers.py. Every
# mutation must give a result consistent with the mutated file, or the
# project's condition (dlfs_data_file_error / dlfs_fixture_error) naming
# the file; anything else (another error, a warning, a message without the
# file) is an "other failure". The counts are fixed, not time-based, and go
# to build/robustness/fuzz_idx_r.json and fuzz_fixtures_r.json.

root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

fuzz_seed <- 20250808L
idx_mutations <- 3000L
checksum_flips_per_file <- 8L
manifest_flips <- 300L
structure_mutations <- 1000L
byte_mutations <- 500L
small_file <- 40000
real_labels <- "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"

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

tally_write <- function(tally, name, extra = list()) {
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

# --- IDX ----------------------------------------------------------------

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

# The magic number or one dimension set to an edge value (huge included).
set_header_field <- function(content) {
  ndim <- as.integer(content[4L])
  field <- sample.int(ndim + 1L, 1L) - 1L
  at <- 4L * field + 1:4
  old <- sum(as.numeric(content[at]) * 256^(3:0))
  values <- c(0, 1, 2^24, 2^31 - 1, 2^31, 2^32 - 1, old + 1, max(old - 1, 0),
              floor(stats::runif(1L) * 2^32))
  value <- values[sample.int(length(values), 1L)]
  content[at] <- as.raw((value %/% 256^(3:0)) %% 256)
  content
}

gzip_bytes <- function(content) {
  path <- tempfile()
  on.exit(unlink(path))
  con <- gzfile(path, "wb")
  writeBin(content, con)
  close(con)
  readBin(path, "raw", file.size(path))
}

gunzip_file <- function(path) {
  con <- gzfile(path, "rb")
  on.exit(close(con))
  readBin(con, "raw", 1e7)
}

# list(name, kind, raw file bytes, content): small images and labels
# written by write_idx, plain and gzip, and the real Fashion-MNIST labels.
idx_sources <- function(dir) {
  images <- array(sample.int(256L, 120L, TRUE) - 1L, c(4L, 6L, 5L))
  labels <- sample.int(10L, 30L, TRUE) - 1L
  out <- list()
  for (item in list(list("images", images), list("labels", labels))) {
    plain <- file.path(dir, item[[1]])
    write_idx(plain, item[[2]])
    content <- readBin(plain, "raw", file.size(plain))
    out <- c(out, list(list(item[[1]], item[[1]], content, content)))
    gz <- file.path(dir, paste0(item[[1]], ".gz"))
    write_idx(gz, item[[2]], compress = TRUE)
    out <- c(out, list(list(basename(gz), item[[1]],
                            readBin(gz, "raw", file.size(gz)), content)))
  }
  if (file.exists(real_labels)) {
    raw <- readBin(real_labels, "raw", file.size(real_labels))
    out <- c(out, list(list(basename(real_labels), "labels", raw,
                            gunzip_file(real_labels))))
  }
  out
}

# Why a result does not match the mutated file ("" if it does).
check_idx_result <- function(kind, path, value) {
  raw <- readBin(path, "raw", file.size(path))
  gz <- length(raw) >= 2L && identical(raw[1:2], as.raw(c(0x1f, 0x8b)))
  content <- if (gz) gunzip_file(path) else raw
  ndim <- as.integer(content[4L])
  dims <- colSums(matrix(as.numeric(content[4L + seq_len(4L * ndim)]), 4L) *
                    256^(3:0))
  payload <- content[-seq_len(4L + 4L * ndim)]
  ok <- if (kind == "images") {
    identical(dim(value$images), as.integer(c(dims[1], dims[2] * dims[3]))) &&
      identical(value$image_shape, as.integer(dims[2:3])) &&
      identical(as.vector(t(value$images)), payload)
  } else {
    identical(value$labels, as.integer(payload)) &&
      all(value$labels >= 0L & value$labels <= 9L)
  }
  if (ok && identical(value$sha256, sha256_file(path))) return("")
  paste("result inconsistent with the file, header", toString(dims))
}

test_that("IDX reader: each mutation a consistent result or a clear error", {
  withr::local_seed(fuzz_seed)
  dir <- withr::local_tempdir()
  sources <- idx_sources(dir)
  readers <- list(images = read_images, labels = read_labels)
  ops <- c("truncate", "flip", "insert", "append", "header", "gzip_content")
  tally <- new_tally()
  path <- file.path(dir, "mutant")
  for (k in seq_len(idx_mutations)) {
    source <- sources[[sample.int(length(sources), 1L)]]
    raw <- source[[3]]
    gz <- !identical(raw, source[[4]])
    op <- ops[sample.int(if (gz) 6L else 5L, 1L)]
    mutant <- if (op %in% c("header", "gzip_content")) {
      content <- if (op == "header") {
        set_header_field(source[[4]])
      } else {
        mutate_bytes(source[[4]], ops[sample.int(4L, 1L)])
      }
      if (gz) gzip_bytes(content) else content
    } else {
      mutate_bytes(raw, op)
    }
    writeBin(mutant, path)
    got <- outcome_of(function() readers[[source[[2]]]](path),
                      "dlfs_data_file_error", path)
    if (got[[1]] == "result") {
      why <- check_idx_result(source[[2]], path, got[[2]])
      if (nzchar(why)) got <- list("other_failure", why)
    }
    tally_add(tally, op, got[[1]], paste0(source[[1]], ": ", got[[2]]))
  }
  tally_write(tally, "idx",
              list(sources = vapply(sources, `[[`, "", 1L)))
  expect_identical(utils::head(tally$failures, 5L), character())
  expect_gt(tally_total(tally, "clear_error"), idx_mutations / 2)
  expect_gt(tally_total(tally, "result"), 0L)
})

# --- fixtures -----------------------------------------------------------

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

read_manifest_json <- function(dir) {
  jsonlite::parse_json(rawToChar(readBin(file.path(dir, "manifest.json"),
                                         "raw", 1e6)))
}

# Give fn's manifest entry the file's current SHA-256 and a case count: an
# edit of the pristine manifest's text (the other entries stay pristine).
set_manifest_entry <- function(dir, manifest, fn, cases) {
  path <- file.path(dir, manifest$files[[fn]]$path)
  text <- readChar(file.path(fixtures_root, "manifest.json"), 1e6,
                   useBytes = TRUE)
  entry <- paste0("(\"", gsub(".", "\\.", fn, fixed = TRUE),
                  "\": \\{\\s*\"path\": \"[^\"]*\",\\s*\"sha256\": \")",
                  "[0-9a-f]{64}(\",\\s*\"cases\": )[0-9]+")
  stopifnot(grepl(entry, text, perl = TRUE))
  text <- sub(entry, paste0("\\1", file_sha256(path), "\\2", cases), text,
              perl = TRUE)
  writeChar(text, file.path(dir, "manifest.json"), eos = NULL,
            useBytes = TRUE)
}

write_byte <- function(path, at, byte) {
  con <- file(path, "r+b")
  on.exit(close(con))
  seek(con, at, rw = "write")
  writeBin(byte, con)
}

# (a) One byte of a case file changed in place: the manifest names it.
checksum_flip_fuzz <- function(dir, tally) {
  for (fn in fixture_functions(dir)) {
    path <- file.path(dir, load_manifest(dir)$files[[fn]]$path)
    size <- file.size(path)
    for (k in seq_len(checksum_flips_per_file)) {
      at <- sample.int(size, 1L) - 1L
      old <- readBin(path, "raw", at + 1L)[at + 1L]
      write_byte(path, at, flip_bytes(old, 1L))
      got <- outcome_of(function() load_cases(fn, dir), "dlfs_fixture_error",
                        basename(path))
      if (got[[1]] == "clear_error" &&
            !grepl("does not match the manifest", got[[2]], fixed = TRUE)) {
        got[[1]] <- "other_failure"
      }
      tally_add(tally, "case_file_byte_changed", got[[1]],
                paste(basename(path), "byte", at, got[[2]]))
      write_byte(path, at, old)
    }
  }
}

# What the reader takes from the manifest: path, checksum and case count.
used_fields <- function(manifest) {
  lapply(manifest$files, function(e) list(e$path, e$sha256, e$cases))
}

# (a) One byte of manifest.json changed: an error naming a file, or only
# fields the reader ignores (texts, versions) changed.
manifest_flip_fuzz <- function(dir, tally) {
  path <- file.path(dir, "manifest.json")
  original <- readBin(path, "raw", file.size(path))
  before <- used_fields(load_manifest(dir))
  for (k in seq_len(manifest_flips)) {
    writeBin(flip_bytes(original, 1L), path)
    got <- outcome_of(function() load_manifest(dir), "dlfs_fixture_error",
                      "manifest.json")
    if (got[[1]] == "result") {
      after <- used_fields(got[[2]])
      changed <- names(after)[!vapply(names(after), function(fn) {
        identical(after[[fn]], before[[fn]])
      }, NA)]
      if (length(changed)) got[[1]] <- "clear_error"
      for (fn in changed) {
        loaded <- outcome_of(function() load_cases(fn, dir),
                             "dlfs_fixture_error", "")
        named <- grepl(basename(after[[fn]][[1]]), loaded[[2]], fixed = TRUE) ||
          grepl("manifest.json", loaded[[2]], fixed = TRUE)
        if (loaded[[1]] != "clear_error" || !named) {
          got <- list("other_failure",
                      paste("edit of", fn, "entry not caught:", loaded[[2]]))
        }
      }
    }
    tally_add(tally, "manifest_byte_changed", got[[1]],
              if (is.character(got[[2]])) got[[2]] else "")
  }
  writeBin(original, path)
}

# Paths (keys from the case) of every ARRAY object in a case.
array_paths <- function(case) {
  out <- list()
  for (key in intersect(c("inputs", "expected", "err_scale"), names(case))) {
    value <- case[[key]]
    if (key != "inputs" && "dtype" %in% names(value)) {
      out <- c(out, list(key))
      next
    }
    for (k in names(value)) {
      v <- value[[k]]
      if (!is.list(v)) next
      if ("dtype" %in% names(v)) {
        out <- c(out, list(c(key, k)))
      } else {
        out <- c(out, lapply(names(v), function(m) c(key, k, m)))
      }
    }
  }
  out
}

pick <- function(x) x[[sample.int(length(x), 1L)]]

named_list <- function() structure(list(), names = character())

bad_file <- list(schema_version = list(2L, "1", NULL, 1.5, TRUE),
                 `function` = list(7L, NULL, "no_such_function"),
                 description = list(7L, NULL, list()),
                 cases = list(list(), named_list(), "x", NULL, list(7L),
                              list(list())))
bad_case <- list(id = list(7L, "", "bad id", NULL, "a//b"),
                 group = list(7L, NULL),
                 description = list("", 7L, NULL),
                 tolerance = list("no_such_class", 7L, NULL, ""),
                 inputs = list(named_list(), list(), 7L, "x", NULL),
                 expected = list(7L, "x", NULL, list(), named_list(),
                                 list(W = 7L), list(W = named_list())))
bad_input <- list(NULL, TRUE, list(1L, 2L), named_list(), list(a = 1L))
bad_array <- list(dtype = list("float32", 7L, NULL, "INT64"),
                  shape = list("x", list(-1L), list(1.5), list(TRUE),
                               list(2^31), NULL),
                  data = list("x", named_list(), NULL, 7L),
                  sha256 = list("zz", 7L, strrep("0", 64L)),
                  nonfinite = list(named_list(), "x", list(nan = list()),
                                   list(nan = list(-1L)),
                                   list(nan = list(0.5)),
                                   list(inf = list(0L)), list(nan = "x")))
bad_entry <- list("0.5", TRUE, list(1), named_list())

# The changes that make an ARRAY object invalid, by name: each a function
# of the array and a random entry index i.
array_changes <- list(
  extra = function(arr, i) c(arr, list(zz_extra = 1L)),
  shape_size = function(arr, i) {
    arr$shape <- list(length(arr$data) + 1L)
    arr
  },
  sha_upper = function(arr, i) {
    arr$sha256 <- if (grepl("[a-f]", arr$sha256)) {
      toupper(arr$sha256)
    } else {
      strrep("A", 64L)
    }
    arr
  },
  append = function(arr, i) {
    arr$data <- c(arr$data, list(0))
    arr
  },
  entry = function(arr, i) {
    arr$data[i] <- list(pick(bad_entry))
    arr
  },
  # A different number: the bit checksum must notice.
  change = function(arr, i) {
    v <- arr$data[[i]]
    arr$data[[i]] <- if (is.null(v)) 1 else if (abs(v) > 1) v / 2 else v + 0.5
    arr
  },
  drop_last = function(arr, i) {
    arr$data <- arr$data[-length(arr$data)]
    arr
  },
  nonfinite_gone = function(arr, i) {
    arr$nonfinite <- NULL
    arr
  },
  nonfinite_twice = function(arr, i) {
    kind <- names(arr$nonfinite)[1L]
    arr$nonfinite[[kind]] <- c(arr$nonfinite[[kind]],
                               arr$nonfinite[[kind]][1L])
    arr
  },
  # A finite entry listed as NaN.
  null_not_listed = function(arr, i) {
    finite <- which(lengths(arr$data) > 0L)[1L] - 1L
    listed <- if (is.null(arr$nonfinite)) named_list() else arr$nonfinite
    listed$nan <- c(listed$nan, list(finite))
    arr$nonfinite <- listed
    arr
  }
)

# One change that makes an ARRAY object invalid: list(array, what).
mutate_array <- function(arr) {
  n <- length(arr$data)
  nulls <- sum(lengths(arr$data) == 0L)
  choices <- c(paste0("drop ", c("dtype", "shape", "data", "sha256")),
               paste0("bad ", names(bad_array)), "extra", "shape_size",
               "sha_upper", "append",
               if (n) c("entry", "change", "drop_last"),
               if (nulls) c("nonfinite_gone", "nonfinite_twice"),
               if (nulls < n) "null_not_listed")
  what <- pick(choices)
  key <- sub("^(drop|bad) ", "", what)
  if (startsWith(what, "drop ")) {
    arr[[key]] <- NULL
  } else if (startsWith(what, "bad ")) {
    arr[key] <- list(pick(bad_array[[key]]))
  } else {
    arr <- array_changes[[what]](arr, if (n) sample.int(n, 1L) else 1L)
  }
  list(arr, what)
}

# One change that makes a case's sample map invalid: list(sample, what).
mutate_sample <- function(sample) {
  what <- pick(c("not_a_map", "indices", "out_of_range", "drop_key",
                 "extra_key"))
  key <- pick(names(sample))
  if (what == "not_a_map") {
    sample <- pick(list("x", list(), NULL))
  } else if (what == "indices") {
    sample[key] <- list(pick(list(list(), list(-1L), list(0.5), "x")))
  } else if (what == "out_of_range") {
    sample[[key]][[length(sample[[key]])]] <- 1e9
  } else if (what == "drop_key") {
    sample[[key]] <- NULL
  } else {
    sample$zz_extra <- list(0L)
  }
  list(sample, what)
}

# One designed-invalid change to a one-case document (not its sample):
# list(doc, level, what, the manifest's case count).
mutate_structure <- function(doc) {
  level <- pick(c("file", "case", "case", "input", "array", "array", "twice"))
  case <- doc$cases[[1]]
  what <- level
  count <- 1L
  if (level %in% c("file", "case")) {
    table <- if (level == "file") bad_file else bad_case
    what <- pick(c(names(table), "drop", "extra"))
    target <- if (level == "file") doc else case
    if (what == "drop") {
      target[[pick(names(table))]] <- NULL
    } else if (what == "extra") {
      target["zz_extra"] <- list(1L)
    } else {
      target[what] <- list(pick(table[[what]]))
    }
    if (level == "file") return(list(target, level, what, count))
    case <- target
  } else if (level == "input") {
    case$inputs[pick(names(case$inputs))] <- list(pick(bad_input))
  } else if (level == "twice") {
    doc$cases <- list(case, case)
    count <- pick(1:3)
    return(list(doc, level, what, count))
  } else {
    at <- pick(array_paths(case))
    changed <- mutate_array(case[[at]])
    case[[at]] <- changed[[1]]
    what <- changed[[2]]
  }
  doc$cases[[1]] <- case
  list(doc, level, what, count)
}

# A document that is not JSON, not an object, or repeats a key.
text_mutation <- function(text) {
  what <- pick(c("empty", "array", "null", "string", "nan", "open", "random",
                 "cut", "dup"))
  text <- switch(what,
    empty = "", array = "[]", null = "null", string = "\"x\"", nan = "NaN",
    open = "{\"schema_version\": 1",
    random = intToUtf8(sample(32:126, 16L, TRUE)),
    cut = substr(text, 1L, sample.int(nchar(text) - 1L, 1L) - 1L),
    dup = sub("{\"id\":", "{\"id\":\"dup\",\"id\":", text, fixed = TRUE)
  )
  list(text, what)
}

# list(fn, header, case, text of the case): every case of the small files
# and the one case with a sample.
structure_pool <- function(dir) {
  files <- load_manifest(dir)$files
  paths <- file.path(dir, vapply(files, `[[`, "", "path"))
  small <- file.size(paths) <= small_file
  keep <- small | names(files) == "TwoLayerNet.numerical_gradient"
  pool <- Map(function(fn, path, small) {
    doc <- jsonlite::parse_json(rawToChar(readBin(path, "raw",
                                                  file.size(path))))
    cases <- Filter(function(case) small || !is.null(case$sample), doc$cases)
    lapply(cases, function(case) list(fn, doc[names(doc) != "cases"], case))
  }, names(files)[keep], paths[keep], small[keep])
  do.call(c, unname(pool))
}

write_case_doc <- function(dir, manifest, fn, text, cases) {
  path <- file.path(dir, manifest$files[[fn]]$path)
  writeBin(charToRaw(text), path)
  set_manifest_entry(dir, manifest, fn, cases)
  path
}

doc_text <- function(header, cases_text) {
  paste0(substr(to_json(header), 1L, nchar(to_json(header)) - 1L),
         ",\"cases\":[", paste(cases_text, collapse = ","), "]}")
}

# (b) Designed-invalid documents with the file checksum recomputed: each
# must be a dlfs_fixture_error naming the file.
structure_fuzz <- function(dir, tally) {
  manifest <- read_manifest_json(dir)
  pool <- structure_pool(dir)
  has_sample <- vapply(pool, function(p) !is.null(p[[3]]$sample), NA)
  big <- pool[has_sample][[1]]
  big_case <- big[[3]]
  # The 2.4 MB case is written once; only its sample map changes.
  big_prefix <- to_json(big_case[names(big_case) != "sample"])
  big_prefix <- substr(big_prefix, 1L, nchar(big_prefix) - 1L)
  for (p in pool) {
    text <- if (is.null(p[[3]]$sample)) {
      doc_text(p[[2]], to_json(p[[3]]))
    } else {
      doc_text(p[[2]], paste0(big_prefix, ",\"sample\":",
                              to_json(p[[3]]$sample), "}"))
    }
    write_case_doc(dir, manifest, p[[1]], text, 1L)
    expect_identical(load_cases(p[[1]], dir)[[1]]$id, p[[3]]$id)
  }
  small <- pool[!has_sample]
  for (k in seq_len(structure_mutations)) {
    if (k %% 100L == 1L) {
      changed <- mutate_sample(big_case$sample)
      fn <- big[[1]]
      text <- doc_text(big[[2]], paste0(big_prefix, ",\"sample\":",
                                        to_json(changed[[1]]), "}"))
      level <- "sample"
      count <- 1L
    } else {
      p <- pick(small)
      fn <- p[[1]]
      doc <- c(p[[2]], list(cases = list(p[[3]])))
      if (stats::runif(1L) < 0.1) {
        changed <- text_mutation(to_json(doc))
        text <- changed[[1]]
        level <- "text"
        count <- 1L
      } else {
        changed <- mutate_structure(doc)
        text <- to_json(changed[[1]])
        level <- changed[[2]]
        count <- changed[[4]]
      }
    }
    path <- write_case_doc(dir, manifest, fn, text, count)
    got <- outcome_of(function() load_cases(fn, dir), "dlfs_fixture_error",
                      basename(path))
    if (got[[1]] == "result") {
      got <- list("other_failure", paste("accepted:", substr(text, 1L, 200L)))
    }
    tally_add(tally, paste0("structure_", level), got[[1]], got[[2]])
  }
}

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

# (b) Random byte changes below the file checksum (recomputed): an error,
# or a result whose arrays are those of the original file.
byte_fuzz <- function(dir, tally) {
  manifest <- read_manifest_json(fixtures_root)
  small <- Filter(function(fn) {
    file.size(file.path(fixtures_root, manifest$files[[fn]]$path)) <=
      small_file
  }, names(manifest$files))
  originals <- lapply(small, function(fn) {
    path <- file.path(fixtures_root, manifest$files[[fn]]$path)
    readBin(path, "raw", file.size(path))
  })
  names(originals) <- small
  decoded <- lapply(small, function(fn) load_cases(fn))
  names(decoded) <- small
  changed_plain <- 0L
  renamed <- 0L
  for (k in seq_len(byte_mutations)) {
    fn <- pick(small)
    op <- pick(c("truncate", "bitflip", "bitflip", "insert"))
    original <- originals[[fn]]
    mutant <- if (op == "bitflip") {
      flip_bytes(original, 1L, bit = TRUE)
    } else {
      mutate_bytes(original, op)
    }
    path <- file.path(dir, manifest$files[[fn]]$path)
    writeBin(mutant, path)
    set_manifest_entry(dir, manifest, fn, manifest$files[[fn]]$cases)
    got <- outcome_of(function() load_cases(fn, dir), "dlfs_fixture_error",
                      basename(path))
    if (got[[1]] == "result") {
      if (!identical(case_arrays(got[[2]]), case_arrays(decoded[[fn]]))) {
        got <- list("other_failure", "arrays differ from the original's")
      }
      if (!identical(plain_inputs(got[[2]]), plain_inputs(decoded[[fn]]))) {
        changed_plain <- changed_plain + 1L
      }
      if (!identical(key_names(got[[2]]), key_names(decoded[[fn]]))) {
        renamed <- renamed + 1L
      }
    }
    tally_add(tally, paste0("bytes_", op), got[[1]],
              paste(basename(path), if (is.character(got[[2]])) got[[2]]))
  }
  list(results_with_a_plain_number_input_changed = changed_plain,
       results_with_a_map_key_renamed = renamed)
}

test_that("fixture reader: checksums catch any byte; bad files clear errors", {
  withr::local_seed(fuzz_seed)
  dir <- copy_fixtures(fixtures_root)
  tally <- new_tally()
  checksum_flip_fuzz(dir, tally)
  manifest_flip_fuzz(dir, tally)
  structure_fuzz(dir, tally)
  extra <- byte_fuzz(dir, tally)
  tally_write(tally, "fixtures", extra)
  expect_identical(utils::head(tally$failures, 5L), character())
  expect_identical(tally$counts$case_file_byte_changed[["clear_error"]],
                   checksum_flips_per_file * length(fixture_functions()))
  expect_gt(tally$counts$bytes_bitflip[["result"]], 0L)
})
