# rng.R: fixture cases, L'Ecuyer's published stream, bit-identity with
# python/rng.py, exact modular arithmetic, AS241.
local_edition(3)
root <- normalizePath(test_path("..", "..", ".."))
source(file.path(root, "r", "load.R"), local = TRUE)

test_fixture_cases("rng")

test_that("L'Ecuyer's default state (all words 12345) gives his stream", {
  gen <- rng_from_state(rep(12345, 3), rep(12345, 3))
  expect_identical(next_counts(gen, 5),
                   c(545508589, 1368065410, 1327943761, 3546985096, 951893194))
  u <- uniform(rng_from_state(rep(12345, 3), rep(12345, 3)), 5)
  # Python's floats, as exact hex: 0.12701112204657714, 0.3185275653967945,
  # 0.3091860155832701, 0.8258468629271136, 0.2216299157820229.
  expect_identical(u, c(0x1.041e683b58b4bp-3, 0x1.462c171103d2cp-2,
                        0x1.3c9b42453e25ep-2, 0x1.a6d566678d634p-1,
                        0x1.c5e5e7c0cacc6p-3))
  expect_error(rng_from_state(c(0, 0, 0), rep(1, 3)), "not all 0")
  expect_error(rng_from_state(rep(m1, 3), rep(1, 3)), "below")
})

# SHA-256 of python/rng.py's outputs as little-endian float64, e.g.
#   python -c "from python.rng import Rng; from python.suite.fixtures_io import
#   bits_sha256; print(bits_sha256(Rng(42).normal(10**5)))"
test_that("streams are bit-identical to python/rng.py", {
  expect_identical(bits_sha256(normal(rng(42), 1e5)), paste0(
    "6dfa91ab4febb85255d4a0ed8f00ac0f73cd8568fa914141df985086ff1ef2e0"))
  expect_identical(bits_sha256(uniform(rng(7), 1e5)), paste0(
    "a07e68da686238e774d3c8462f1ecbe51243d77467c2c1e9f7a93808748bea93"))
  expect_identical(bits_sha256(integers(rng(5), 60000, 1e4)), paste0(
    "2367b4e3f5f0260292df5b3017bd0df90e7b7964ed80862df97db186a2dbd836"))
})

test_that("exact_mod is exact where floor(p / m) rounds up", {
  for (m in c(m1, m2)) {
    # Multiples of m across the whole |p| < 2^53 range the recurrence uses.
    k <- c(-2^20, -810728, -12345, -1, 0, 1, 2, 12345, 1403579, 2^20)
    p <- k * m
    expect_identical(exact_mod(p - 1, m), rep(m - 1, length(k)))
    expect_identical(exact_mod(p, m), rep(0, length(k)))
    expect_identical(exact_mod(p + 1, m), rep(1, length(k)))
  }
})

test_that("a generator continues its stream across calls", {
  gen <- rng(11)
  first <- uniform(gen, 3)
  expect_identical(c(first, normal(gen, 2)),
                   c(uniform(rng(11), 5)[1:3],
                     qnorm_as241(uniform(rng(11), 5)[4:5])))
})

test_that("streams are reproducible, seeds differ, uniforms in (0, 1)", {
  expect_identical(normal(rng(3), 10), normal(rng(3), 10))
  expect_false(identical(uniform(rng(3), 10), uniform(rng(4), 10)))
  u <- uniform(rng(0), 1e5)
  expect_true(min(u) > 0 && max(u) < 1 && abs(mean(u) - 0.5) < 0.005)
})

test_that("integers are 0-based codes in range, with replacement", {
  draws <- integers(rng(1), 5, 1000)
  expect_type(draws, "integer")
  expect_identical(range(draws), c(0L, 4L))
  expect_gt(min(tabulate(draws + 1L)), 150)
  expect_false(anyNA(integers(rng(2), 2^31, 1000)))
  expect_error(integers(rng(1), 0, 5), "high")
  expect_error(integers(rng(1), 2^31 + 1, 5), "high")
})

test_that("bad seeds are refused", {
  for (seed in list(-1, 2^31, 1.5, TRUE, "7", NA, c(1, 2), NULL)) {
    expect_error(rng(seed), "seed")
  }
  expect_s3_class(rng(2^31 - 1), "Rng")
  expect_s3_class(rng(0L), "Rng")
})

test_that("AS241 written out agrees with R's qnorm", {
  p <- c(1e-300, 1e-20, 1e-10, 0.001, 0.02425, 0.075, 0.5 - 2^-30, 0.5,
         0.6, 0.925, 0.999, 1 - 1e-10, 1 - 2^-53, uniform(rng(8), 1e4))
  z <- qnorm_as241(p)
  expect_lte(max(abs(z - qnorm(p)) / ulp(qnorm(p))), 2)
  expect_identical(qnorm_as241(0.5), 0)
})
