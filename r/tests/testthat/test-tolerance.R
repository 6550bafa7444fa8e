# tolerance.R: ulp against numpy, and each class can fail.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)
policy <- load_policy()

test_that("ulp equals numpy's np.spacing(abs(x))", {
  # (x, np.spacing(abs(x))) as exact hex, computed with numpy 2.4.
  pairs <- rbind(
    c(0x0.0p+0, 0x0.0000000000001p-1022),
    c(-0x0.0p+0, 0x0.0000000000001p-1022),
    c(0x0.0000000000001p-1022, 0x0.0000000000001p-1022),
    c(0x0.00000000007e8p-1022, 0x0.0000000000001p-1022),
    c(0x1.0000000000000p-1022, 0x0.0000000000001p-1022),
    c(0x0.fffffffffffffp-1022, 0x0.0000000000001p-1022),
    c(0x1.0000000000000p-1021, 0x0.0000000000002p-1022),
    c(0x1.fffffffffffffp-1022, 0x0.0000000000001p-1022),
    c(0x1.56e1fc2f8f359p-997, 0x0.0000002000000p-1022),
    c(0x1.999999999999ap-4, 0x1.0000000000000p-56),
    c(0x1.0000000000000p-1, 0x1.0000000000000p-53),
    c(0x1.fffffffffffffp-1, 0x1.0000000000000p-53),
    c(0x1.0000000000000p+0, 0x1.0000000000000p-52),
    c(0x1.0000000000001p+0, 0x1.0000000000000p-52),
    c(0x1.8000000000000p+0, 0x1.0000000000000p-52),
    c(0x1.0000000000000p+1, 0x1.0000000000000p-51),
    c(0x1.fffffffffffffp+0, 0x1.0000000000000p-52),
    c(0x1.8000000000000p+1, 0x1.0000000000000p-51),
    c(0x1.1c37937e08000p+53, 0x1.0000000000000p+1),
    c(0x1.0000000000000p+53, 0x1.0000000000000p+1),
    c(0x1.fffffffffffffp+52, 0x1.0000000000000p+0),
    c(0x1.7e43c8800759cp+996, 0x1.0000000000000p+944),
    c(0x1.0000000000000p+1023, 0x1.0000000000000p+971),
    c(0x1.fffffffffffffp+1023, Inf),
    c(-0x1.0000000000000p+0, 0x1.0000000000000p-52),
    c(-0x1.c000000000000p+1, 0x1.0000000000000p-51)
  )
  expect_identical(ulp(pairs[, 1]), pairs[, 2])
  # Every binade boundary, and the doubles either side of it.
  e <- -1074:1023
  expect_identical(ulp(2^e), 2^pmax(e - 52, -1074))
  e <- -1021:1023
  expect_identical(ulp(2^e * (1 + 2^-52)), 2^(e - 52))
  expect_identical(ulp(2^e * (1 - 2^-53)), 2^(e - 53))
  m <- ulp(matrix(c(1, 2, NaN, Inf), 2))
  expect_identical(dim(m), c(2L, 2L))
  expect_true(all(is.nan(m[, 2])))
})

all_cases <- unlist(lapply(fixture_functions(), function(fn) {
  lapply(load_cases(fn), function(case) list(fn = fn, case = case))
}), recursive = FALSE)
first_case <- function(cls_name) {
  Filter(function(x) x$case$tolerance == cls_name, all_cases)[[1]]
}
key_array <- function(value) if (is.list(value)) value[[1]] else value
# The next double away from zero: one ULP off.
one_ulp_off <- function(x) x + ifelse(x < 0, -1, 1) * ulp(x)

float_classes <- setdiff(unique(vapply(all_cases, function(x) {
  x$case$tolerance
}, "")), "divergent")

for (cls_name in float_classes) {
  test_that(paste(cls_name, "fails at 3 bounds and passes at half"), {
    fc <- first_case(cls_name)
    cls <- policy[[cls_name]]
    expected <- as.double(key_array(fc$case$expected))
    # NULL when the case has no err_scale.
    scale <- key_array(fc$case$err_scale)
    bound <- bound_of(cls, expected, scale)
    i <- which.max(ifelse(is.finite(expected), bound, -1))
    if (bound[i] == 0) {
      got <- expected
      got[i] <- one_ulp_off(got[i])
      expect_false(compare(got, expected, cls, scale)$passed)
    } else {
      for (factor in c(3, -3, 0.5)) {
        got <- expected
        got[i] <- got[i] + factor * bound[i]
        v <- compare(got, expected, cls, scale)
        expect_identical(v$passed, factor == 0.5,
                         info = paste(fc$fn, fc$case$id, factor))
      }
    }
  })
}

test_that("the bitexact cross check rejects one ULP", {
  for (cls_name in c("exact", "rng_normal")) {
    expected <- key_array(first_case(cls_name)$case$expected)
    moved <- one_ulp_off(as.double(expected))
    cls <- policy[[cls_name]]
    expect_false(compare(moved, expected, cls, bitexact = TRUE)$passed)
    expect_true(compare(expected + 0, expected, cls, bitexact = TRUE)$passed)
  }
  expect_false(compare(-0, 0, policy$exact, bitexact = TRUE)$passed)
})

test_that("the divergent class rejects a converged result", {
  case <- first_case("divergent")$case
  cls <- policy$divergent
  expect_true(compare(case$expected, case$expected, cls)$passed)
  expect_false(compare(c(-6e-10, 8e-10), case$expected, cls)$passed)
  expect_false(compare(c(NaN, 1e11), case$expected, cls)$passed)
})

test_that("NaN and infinities must match", {
  cls <- policy$elementwise
  expected <- c(NaN, Inf, -Inf, 0.5)
  expect_true(compare(expected, expected, cls)$passed)
  for (bad in list(c(0, Inf, -Inf, 0.5), c(NaN, 1, -Inf, 0.5),
                   c(NaN, Inf, Inf, 0.5), c(NaN, Inf, -Inf, NaN),
                   c(NA, Inf, -Inf, 0.5))) {
    expect_false(compare(bad, expected, cls)$passed)
  }
})

test_that("one bad element is not averaged away", {
  cls <- policy$elementwise
  expected <- seq(0.1, 0.9, length.out = 10000)
  got <- expected
  got[1235] <- got[1235] + 10 * ulp(got[1235])
  v <- compare(got, expected, cls)
  expect_false(v$passed)
  expect_match(v$where, "[1234]", fixed = TRUE)
  expect_identical(v$error, 10)
  m <- matrix(expected[1:6], 2, byrow = TRUE)
  m_got <- m
  m_got[2, 3] <- m_got[2, 3] * (1 + 2^-40)
  expect_match(compare(m_got, m, cls)$where, "[1, 2]", fixed = TRUE)
})

test_that("shape or key mismatch fails; the worst key decides", {
  expect_false(compare(numeric(3), matrix(0, 3, 1), policy$exact)$passed)
  expect_false(compare(list(a = 1), list(b = 1), policy$exact)$passed)
  v <- compare(list(a = 1, b = 2 + 2^-51), list(a = 1, b = 2), policy$exact)
  expect_false(v$passed)
  expect_match(v$where, "^b")
  expect_named(v, c("unit", "error", "bound", "ratio", "digits", "passed",
                    "where"))
})

test_that("eps is float64's", {
  expect_identical(eps, 2^-52)
})

test_that("the uncorrected sigmoid formulas miss their classes", {
  # On the worst inputs the dense check found, the formulas before issue 13
  # fail the classes; the corrected ones pass.
  worst <- Filter(function(x) x$case$id == "dense/worst_found", all_cases)
  names(worst) <- vapply(worst, function(x) x$fn, "")
  x <- worst$sigmoid$case$inputs$x
  e <- exp(-abs(x))
  plain <- ifelse(x >= 0, 1, e) / (1 + e)
  plain_minus <- ifelse(x < 0, 1, e) / (1 + e)
  tries <- list(
    sigmoid = list(plain, sigmoid(x)),
    sigmoid_grad = list(plain * plain_minus, sigmoid_grad(x))
  )
  for (fn in names(tries)) {
    case <- worst[[fn]]$case
    cls <- policy[[case$tolerance]]
    expect_false(compare(tries[[fn]][[1]], case$expected, cls)$passed,
                 info = fn)
    expect_true(compare(tries[[fn]][[2]], case$expected, cls)$passed,
                info = fn)
  }
})
