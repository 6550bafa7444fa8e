# fixtures_io.R: every file loads and verifies; decoding is bit-exact;
# tampering, missing files and stale manifests fail loudly.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_that("every case file verifies against the manifest and decodes", {
  manifest <- load_manifest()
  expect_identical(manifest$schema_version, 1L)
  for (fn in fixture_functions()) {
    cases <- load_cases(fn)
    expect_length(cases, manifest$files[[fn]]$cases)
    for (case in cases) {
      expect_true(is.character(case$id) && !is.null(case$expected))
    }
  }
})

# The README's example ARRAY, without its empty "neginf" list (schema.json
# wants each listed kind to have an index); its sha256 is python's
# bits_sha256 of [0.5, -0.0, nan, 1e-320, 2.5, inf].
array_json <- paste0(
  '{"dtype": "float64", "shape": [2, 3], ',
  '"data": [0.5, -0.0, null, 1e-320, 2.5, null], ',
  '"nonfinite": {"nan": [2], "posinf": [5]}, ',
  '"sha256": "20f8dabac917d4628abfd34a7c2d1587',
  'b7e226d28886bddf2a5811cacfb8030f"}'
)

test_that("ARRAY decoding: row-major, NaN/Inf, negative zero, subnormals", {
  obj <- jsonlite::fromJSON(array_json, simplifyVector = FALSE)
  a <- decoding("example", decode(obj, "x"))
  expect_identical(dim(a), c(2L, 3L))
  expect_identical(a[1, 1:2], c(0.5, 0))
  expect_identical(1 / a[1, 2], -Inf)
  expect_true(is.nan(a[1, 3])) # NaN, not NA: the checksum holds its bits
  expect_identical(a[2, ], c(1e-320, 2.5, Inf))
  obj$nonfinite$nan <- list()
  expect_error(decoding("example", decode(obj, "x")), "example: x: values do",
               class = "dlfs_fixture_error")
  obj$nonfinite$nan <- list(9L)
  expect_error(decoding("example", decode(obj, "x")), "nonfinite indices",
               class = "dlfs_fixture_error")
})

test_that("int64 arrays become integer; scalars have length 1", {
  obj <- list(dtype = "int64", shape = list(3L), data = list(3L, 0L, 7L),
              sha256 = paste0("371ae705585af1a38357c29d325b725f",
                              "6532c8f8267ab58ecafa91403dd83486"))
  expect_identical(decode(obj, "labels"), c(3L, 0L, 7L))
  obj$data[[1]] <- 4L
  expect_error(decoding("f", decode(obj, "labels")), "sha256",
               class = "dlfs_fixture_error")
  scalar <- list(dtype = "float64", shape = list(), data = list(0.5),
                 sha256 = bits_sha256(0.5))
  expect_identical(decode(scalar, "s"), 0.5)
})

# Change one digit inside the first "data" array of a file.
flip_one_digit <- function(path) {
  bytes <- readBin(path, "raw", file.size(path))
  text <- rawToChar(bytes)
  # The first digit 1-8 after the first '"data":[' (byte positions).
  at <- regexpr('"data": ?\\[[^1-8]*[1-8]', text, useBytes = TRUE)
  stopifnot(at > 0)
  at <- at + attr(at, "match.length") - 1L
  bytes[at] <- as.raw(as.integer(bytes[at]) + 1L)
  writeBin(bytes, path)
}

# sigmoid's file is the manifest's first: its count is the first "cases".
n_sigmoid <- length(load_cases("sigmoid"))

test_that("a one-byte edit of a case file fails the manifest check", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  expect_length(load_cases("sigmoid", dir), n_sigmoid)
  flip_one_digit(file.path(dir, "cases", "sigmoid.json"))
  expect_error(load_cases("sigmoid", dir), "does not match the manifest",
               class = "dlfs_fixture_error")
})

test_that("an edit with a refreshed manifest fails the array checksum", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  path <- file.path(dir, "cases", "sigmoid.json")
  old <- file_sha256(path)
  flip_one_digit(path)
  manifest <- file.path(dir, "manifest.json")
  writeLines(sub(old, file_sha256(path), readLines(manifest), fixed = TRUE),
             manifest)
  expect_error(load_cases("sigmoid", dir), "sigmoid.json:.*sha256",
               class = "dlfs_fixture_error")
})

test_that("missing manifest, file or function, stale count or schema", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  expect_error(load_cases("no_such_function", dir), "no fixture file",
               class = "dlfs_fixture_error")
  manifest <- file.path(dir, "manifest.json")
  lines <- readLines(manifest)
  stale <- sprintf('"cases": %d', n_sigmoid + 1L)
  writeLines(sub(sprintf('"cases": %d', n_sigmoid), stale, lines,
                 fixed = TRUE), manifest)
  expect_error(load_cases("sigmoid", dir),
               sprintf("the manifest says %d", n_sigmoid + 1L),
               class = "dlfs_fixture_error")
  writeLines(sub('"schema_version": 1', '"schema_version": 2', lines,
                 fixed = TRUE), manifest)
  expect_error(load_manifest(dir), "schema_version",
               class = "dlfs_fixture_error")
  writeLines(lines, manifest)
  file.remove(file.path(dir, "cases", "softmax.json"))
  expect_error(load_cases("softmax", dir), "listed in the manifest but missing",
               class = "dlfs_fixture_error")
  file.remove(manifest)
  expect_error(load_cases("sigmoid", dir), "manifest.json is missing",
               class = "dlfs_fixture_error")
})

# Edit the first case of fn's file (parsed), write it back and refresh the
# manifest checksum. jsonlite rounds doubles to 15 digits: fine here, as
# each edit is caught before any array of the file is decoded.
rewrite_first_case <- function(dir, fn, edit) {
  manifest_path <- file.path(dir, "manifest.json")
  manifest <- jsonlite::fromJSON(manifest_path, simplifyVector = FALSE)
  path <- file.path(dir, manifest$files[[fn]]$path)
  doc <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  doc$cases[[1]] <- edit(doc$cases[[1]])
  writeLines(jsonlite::toJSON(doc, auto_unbox = TRUE, null = "null",
                              digits = NA), path)
  manifest$files[[fn]]$sha256 <- file_sha256(path)
  writeLines(jsonlite::toJSON(manifest, auto_unbox = TRUE, digits = NA),
             manifest_path)
}

test_that("unknown schema versions are errors", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  manifest <- file.path(dir, "manifest.json")
  lines <- readLines(manifest)
  writeLines(sub('"schema_version": 1', '"schema_version": 2', lines,
                 fixed = TRUE), manifest)
  expect_error(load_cases("sigmoid", dir),
               "manifest.json: schema_version 2, this reader understands 1",
               class = "dlfs_fixture_error")
  writeLines(lines, manifest)
  path <- file.path(dir, "cases", "softmax.json")
  text <- readLines(path)
  writeLines(sub('"schema_version": 1', '"schema_version": 2', text,
                 fixed = TRUE), path)
  writeLines(sub(file_sha256(file.path(fixtures_root, "cases", "softmax.json")),
                 file_sha256(path), lines, fixed = TRUE), manifest)
  expect_error(load_cases("softmax", dir), "softmax.json: schema_version 2",
               class = "dlfs_fixture_error")
})

test_that("a case that does not decode is one error naming file and case", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  first <- load_cases("sigmoid", dir)[[1]]$id
  rewrite_first_case(dir, "sigmoid", function(case) {
    case$expected <- NULL
    case
  })
  expect_error(load_cases("sigmoid", dir),
               paste0("sigmoid.json:", first, ": no expected value"),
               fixed = TRUE, class = "dlfs_fixture_error")
  rewrite_first_case(dir, "softmax", function(case) {
    case$tolerance <- "loose"
    case
  })
  expect_error(load_cases("softmax", dir),
               "tolerance \"loose\" is not a class of tolerances.json",
               fixed = TRUE, class = "dlfs_fixture_error")
  first <- load_cases("mean_squared_error", dir)[[1]]$id
  rewrite_first_case(dir, "mean_squared_error", function(case) {
    case$expected$data[[1]] <- "x"
    case
  })
  expect_error(load_cases("mean_squared_error", dir),
               paste0("mean_squared_error.json:", first,
                      ": expected: data are not finite numbers"),
               fixed = TRUE, class = "dlfs_fixture_error")
})

test_that("a class removed from tolerances.json is an error", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  path <- file.path(dir, "tolerances.json")
  policy <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  policy$classes$elementwise <- NULL
  writeLines(jsonlite::toJSON(policy, auto_unbox = TRUE, digits = NA), path)
  expect_error(load_cases("sigmoid", dir),
               "\"elementwise\" is not a class of tolerances.json",
               fixed = TRUE, class = "dlfs_fixture_error")
  file.remove(path)
  expect_error(load_cases("sigmoid", dir), "tolerances.json: cannot open",
               class = "dlfs_fixture_error")
})

test_that("a malformed manifest is an error naming it", {
  dir <- copy_fixtures(fixtures_root)
  on.exit(unlink(dir, recursive = TRUE))
  path <- file.path(dir, "manifest.json")
  bad <- list(
    list("", "not valid JSON"),
    list("[1, 2]", "schema_version missing, this reader understands 1"),
    list('{"schema_version": 1, "files": {}, "files": {}}',
         "a key appears twice"),
    list('{"schema_version": NaN, "files": {}}', "not valid JSON"),
    list(paste0('{"schema_version": 1, "files": {"f": {"path": "../x.json", ',
                '"sha256": "0", "cases": 1}}}'),
         "files.f.path: \"../x.json\" is not a relative path"),
    list(as.raw(c(0xff, 0xfe, 0x7b, 0x7d)), "not valid JSON: not UTF-8 text")
  )
  for (b in bad) {
    if (is.raw(b[[1]])) writeBin(b[[1]], path) else writeLines(b[[1]], path)
    expect_error(fixture_functions(dir), paste0("manifest.json: ", b[[2]]),
                 class = "dlfs_fixture_error")
  }
})

test_that("a changed byte in a policy file is caught, naming it", {
  root <- copy_fixtures(fixtures_root)
  for (name in c("tolerances.json", "bad_inputs.json", "bad_cli.json",
                 "schema.json", "bad_inputs.schema.json")) {
    expect_identical(verify_policy_file(name, root), file.path(root, name))
    path <- file.path(root, name)
    bytes <- readBin(path, "raw", file.size(path))
    middle <- length(bytes) %/% 2L
    bytes[middle] <- xor(bytes[middle], as.raw(1L))
    writeBin(bytes, path)
    expect_error(verify_policy_file(name, root), name, fixed = TRUE,
                 class = "dlfs_fixture_error")
  }
  expect_error(load_policy(root), "tolerances.json", fixed = TRUE,
               class = "dlfs_fixture_error")
})
