# Fuzz test of the fixture reader (helper-fuzz.R): byte changes caught by
# the checksums; designed-invalid documents and random byte changes below a
# recomputed checksum, each a dlfs_fixture_error naming the file or a result
# with the original's values. Mirrors tests/test_fuzz_readers_fixtures.py;
# R leaves schema.json to Python, so a change in a field R does not read
# (a description, an unknown key) is a result here, an error there.

root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

checksum_flips_per_file <- 8L
manifest_flips <- 300L
structure_mutations <- 1000L
byte_mutations <- 500L
small_file <- 40000

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
    arr$data[i] <- list(pick_one(bad_entry))
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
  what <- pick_one(choices)
  key <- sub("^(drop|bad) ", "", what)
  if (startsWith(what, "drop ")) {
    arr[[key]] <- NULL
  } else if (startsWith(what, "bad ")) {
    arr[key] <- list(pick_one(bad_array[[key]]))
  } else {
    arr <- array_changes[[what]](arr, if (n) sample.int(n, 1L) else 1L)
  }
  list(arr, what)
}

# One change that makes a case's sample map invalid: list(sample, what).
mutate_sample <- function(sample) {
  what <- pick_one(c("not_a_map", "indices", "out_of_range", "drop_key",
                 "extra_key"))
  key <- pick_one(names(sample))
  if (what == "not_a_map") {
    sample <- pick_one(list("x", list(), NULL))
  } else if (what == "indices") {
    sample[key] <- list(pick_one(list(list(), list(-1L), list(0.5), "x")))
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
  level <- pick_one(c("file", "case", "case", "input", "array", "array",
                      "twice"))
  case <- doc$cases[[1]]
  what <- level
  count <- 1L
  if (level %in% c("file", "case")) {
    table <- if (level == "file") bad_file else bad_case
    what <- pick_one(c(names(table), "drop", "extra"))
    target <- if (level == "file") doc else case
    if (what == "drop") {
      target[[pick_one(names(table))]] <- NULL
    } else if (what == "extra") {
      target["zz_extra"] <- list(1L)
    } else {
      target[what] <- list(pick_one(table[[what]]))
    }
    if (level == "file") return(list(target, level, what, count))
    case <- target
  } else if (level == "input") {
    case$inputs[pick_one(names(case$inputs))] <- list(pick_one(bad_input))
  } else if (level == "twice") {
    doc$cases <- list(case, case)
    count <- pick_one(1:3)
    return(list(doc, level, what, count))
  } else {
    at <- pick_one(array_paths(case))
    changed <- mutate_array(case[[at]])
    case[[at]] <- changed[[1]]
    what <- changed[[2]]
  }
  doc$cases[[1]] <- case
  list(doc, level, what, count)
}

# A document that is not JSON, not an object, or repeats a key.
text_mutation <- function(text) {
  what <- pick_one(c("empty", "array", "null", "string", "nan", "open",
                     "random", "cut", "dup"))
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
# must be a dlfs_fixture_error naming the file, or a result that keeps what
# the reader vouches for (the change was in a field R does not read).
structure_fuzz <- function(dir, tally) {
  manifest <- read_manifest_json(dir)
  pool <- structure_pool(dir)
  has_sample <- vapply(pool, function(p) !is.null(p[[3]]$sample), NA)
  big <- pool[has_sample][[1]]
  big_case <- big[[3]]
  # The 2.4 MB case is written once; only its sample map changes.
  big_prefix <- to_json(big_case[names(big_case) != "sample"])
  big_prefix <- substr(big_prefix, 1L, nchar(big_prefix) - 1L)
  decoded <- list()
  for (p in pool) {
    text <- if (is.null(p[[3]]$sample)) {
      doc_text(p[[2]], to_json(p[[3]]))
    } else {
      doc_text(p[[2]], paste0(big_prefix, ",\"sample\":",
                              to_json(p[[3]]$sample), "}"))
    }
    write_case_doc(dir, manifest, p[[1]], text, 1L)
    decoded <- c(decoded, list(load_cases(p[[1]], dir)))
    expect_identical(decoded[[length(decoded)]][[1]]$id, p[[3]]$id)
  }
  big_decoded <- decoded[has_sample][[1]]
  decoded <- decoded[!has_sample]
  small <- pool[!has_sample]
  ids_changed <- 0L
  for (k in seq_len(structure_mutations)) {
    if (k %% 100L == 1L) {
      changed <- mutate_sample(big_case$sample)
      fn <- big[[1]]
      text <- doc_text(big[[2]], paste0(big_prefix, ",\"sample\":",
                                        to_json(changed[[1]]), "}"))
      level <- "sample"
      count <- 1L
      original <- big_decoded
    } else {
      at <- sample.int(length(small), 1L)
      p <- small[[at]]
      original <- decoded[[at]]
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
      if (!identical(vouched(got[[2]]), vouched(original))) {
        got <- list("other_failure",
                    paste("accepted other values:", substr(text, 1L, 200L)))
      } else if (!identical(got[[2]][[1]]$id, original[[1]]$id)) {
        ids_changed <- ids_changed + 1L
      }
    }
    tally_add(tally, paste0("structure_", level), got[[1]],
              if (is.character(got[[2]])) got[[2]] else "")
  }
  list(structure_results_with_an_id_changed = ids_changed)
}

# (b) Random byte changes below the file checksum (recomputed): an error,
# or a result that keeps what the reader vouches for.
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
  ids_changed <- 0L
  for (k in seq_len(byte_mutations)) {
    fn <- pick_one(small)
    op <- pick_one(c("truncate", "bitflip", "bitflip", "insert"))
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
      ids <- function(cases) vapply(cases, `[[`, "", "id")
      if (!identical(ids(got[[2]]), ids(decoded[[fn]]))) {
        ids_changed <- ids_changed + 1L
      }
      if (!identical(plain_inputs(got[[2]]), plain_inputs(decoded[[fn]]))) {
        changed_plain <- changed_plain + 1L
      }
      if (!identical(key_names(got[[2]]), key_names(decoded[[fn]]))) {
        renamed <- renamed + 1L
      }
      if (!identical(vouched(got[[2]]), vouched(decoded[[fn]]))) {
        got <- list("other_failure", "values differ from the original's")
      }
    }
    tally_add(tally, paste0("bytes_", op), got[[1]],
              paste(basename(path), if (is.character(got[[2]])) got[[2]]))
  }
  list(results_with_a_plain_number_input_changed = changed_plain,
       results_with_a_map_key_renamed = renamed,
       results_with_an_id_changed = ids_changed)
}

test_that("fixture reader: checksums catch any byte; bad files clear errors", {
  withr::local_seed(fuzz_seed)
  dir <- copy_fixtures(fixtures_root)
  tally <- new_tally()
  checksum_flip_fuzz(dir, tally)
  manifest_flip_fuzz(dir, tally)
  extra <- c(structure_fuzz(dir, tally), byte_fuzz(dir, tally))
  tally_write(tally, "fixtures", extra, root)
  expect_identical(utils::head(tally$failures, 5L), character())
  expect_identical(tally$counts$case_file_byte_changed[["clear_error"]],
                   checksum_flips_per_file * length(fixture_functions()))
  expect_gt(tally$counts$bytes_bitflip[["result"]], 0L)
})
