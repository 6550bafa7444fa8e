# fixtures_io.R: every file loads and verifies; decoding is bit-exact;
# tampering, missing files and stale manifests fail loudly.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
load_modules(root)

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

# The README's example ARRAY; its sha256 is python's bits_sha256 of
# [0.5, -0.0, nan, 1e-320, 2.5, inf].
array_json <- paste0(
  '{"dtype": "float64", "shape": [2, 3], ',
  '"data": [0.5, -0.0, null, 1e-320, 2.5, null], ',
  '"nonfinite": {"nan": [2], "posinf": [5], "neginf": []}, ',
  '"sha256": "20f8dabac917d4628abfd34a7c2d1587',
  'b7e226d28886bddf2a5811cacfb8030f"}'
)

test_that("ARRAY decoding: row-major, NaN/Inf, negative zero, subnormals", {
  obj <- jsonlite::fromJSON(array_json, simplifyVector = FALSE)
  a <- decode(obj, "example")
  expect_identical(dim(a), c(2L, 3L))
  expect_identical(a[1, 1:2], c(0.5, 0))
  expect_identical(1 / a[1, 2], -Inf)
  expect_true(is.nan(a[1, 3])) # NaN, not NA: the checksum holds its bits
  expect_identical(a[2, ], c(1e-320, 2.5, Inf))
  obj$nonfinite$nan <- list()
  expect_error(decode(obj, "example"), "nonfinite", class = "dlfs_fixture_error")
})

test_that("int64 arrays become integer; scalars have length 1", {
  obj <- list(dtype = "int64", shape = list(3L), data = list(3L, 0L, 7L),
              sha256 = paste0("371ae705585af1a38357c29d325b725f",
                              "6532c8f8267ab58ecafa91403dd83486"))
  expect_identical(decode(obj, "labels"), c(3L, 0L, 7L))
  obj$data[[1]] <- 4L
  expect_error(decode(obj, "labels"), "sha256", class = "dlfs_fixture_error")
  scalar <- list(dtype = "float64", shape = list(), data = list(0.5),
                 sha256 = bits_sha256(0.5))
  expect_identical(decode(scalar, "s"), 0.5)
})

# A private copy of the fixtures to damage.
copy_fixtures <- function() {
  dir <- tempfile("fixtures")
  dir.create(file.path(dir, "cases"), recursive = TRUE)
  file.copy(file.path(fixtures_root, c("manifest.json", "tolerances.json")),
            dir)
  file.copy(list.files(file.path(fixtures_root, "cases"), full.names = TRUE),
            file.path(dir, "cases"))
  dir
}

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

test_that("a one-byte edit of a case file fails the manifest check", {
  dir <- copy_fixtures()
  on.exit(unlink(dir, recursive = TRUE))
  expect_length(load_cases("sigmoid", dir), 6)
  flip_one_digit(file.path(dir, "cases", "sigmoid.json"))
  expect_error(load_cases("sigmoid", dir), "does not match the manifest",
               class = "dlfs_fixture_error")
})

test_that("an edit with a refreshed manifest fails the array checksum", {
  dir <- copy_fixtures()
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
  dir <- copy_fixtures()
  on.exit(unlink(dir, recursive = TRUE))
  expect_error(load_cases("no_such_function", dir), "no fixture file",
               class = "dlfs_fixture_error")
  manifest <- file.path(dir, "manifest.json")
  lines <- readLines(manifest)
  writeLines(sub('"cases": 6', '"cases": 7', lines, fixed = TRUE), manifest)
  expect_error(load_cases("sigmoid", dir), "the manifest says 7",
               class = "dlfs_fixture_error")
  writeLines(sub('"schema_version": 1', '"schema_version": 2', lines,
                 fixed = TRUE), manifest)
  expect_error(load_manifest(dir), "schema_version", class = "dlfs_fixture_error")
  writeLines(lines, manifest)
  file.remove(file.path(dir, "cases", "softmax.json"))
  expect_error(load_cases("softmax", dir), "listed in the manifest but missing",
               class = "dlfs_fixture_error")
  file.remove(manifest)
  expect_error(load_cases("sigmoid", dir), "manifest.json is missing",
               class = "dlfs_fixture_error")
})
