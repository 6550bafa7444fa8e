# A portable random generator: MRG32k3a (L'Ecuyer 1999) whose streams equal
# python/rng.py bit for bit. Mirrors python/rng.py.
#
# All recurrence arithmetic is on doubles holding integers below 2^53, so
# every operation is exact: a12 * s < 1403580 * 2^32 < 2^53, and the seeding
# products seed * 1000003 * 3 < 2^53.

m1 <- 4294967087
m2 <- 4294944443
a12 <- 1403580
a13n <- 810728
a21 <- 527612
a23n <- 1370589
mrg_norm <- 2.328306549295727688e-10 # 1 / (m1 + 1), as in L'Ecuyer's code
seed_mult1 <- 69069
seed_mult2 <- 1000003
seed_base <- 12345
warm_up <- 8 # draws discarded so that neighbouring seeds start far apart
max_seed <- 2^31 - 1

# Wichura's AS241 (PPND16), the algorithm of R's qnorm, for the central and
# near-tail regions; coefficients from the lowest power up.
as241_a <- c(3.3871328727963666080e0, 1.3314166789178437745e2,
             1.9715909503065514427e3, 1.3731693765509461125e4,
             4.5921953931549871457e4, 6.7265770927008700853e4,
             3.3430575583588128105e4, 2.5090809287301226727e3)
as241_b <- c(1.0, 4.2313330701600911252e1, 6.8718700749205790830e2,
             5.3941960214247511077e3, 2.1213794301586595867e4,
             3.9307895800092710610e4, 2.8729085735721942674e4,
             5.2264952788528545610e3)
as241_c <- c(1.42343711074968357734e0, 4.63033784615654529590e0,
             5.76949722146069140550e0, 3.64784832476320460504e0,
             1.27045825245236838258e0, 2.41780725177450611770e-1,
             2.27238449892691845833e-2, 7.74545014278341407640e-4)
as241_d <- c(1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
             6.89767334985100004550e-1, 1.48103976427480074590e-1,
             1.51986665636164571966e-2, 5.47593808499534494600e-4,
             1.05075007164441684324e-9)
as241_e <- c(6.65790464350110377720e0, 5.46378491116411436990e0,
             1.78482653991729133580e0, 2.96560571828504891230e-1,
             2.65321895265761230930e-2, 1.24266094738807843860e-3,
             2.71155556874348757815e-5, 2.01033439929228813265e-7)
as241_f <- c(1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
             1.48753612908506148525e-2, 7.86869131145613259100e-4,
             1.84631831751005468180e-5, 1.42151175831644588870e-7,
             2.04426310338993978564e-15)

#' sum(coefs[i] * r^(i - 1)) from the highest power down, one IEEE operation
#' at a time (the same order as python/rng.py's horner)
#'
#' @param coefs Coefficients, lowest power first.
#' @param r Double vector.
#' @return Double vector like r.
horner <- function(coefs, r) {
  acc <- rep(coefs[length(coefs)], length(r))
  for (coef in rev(coefs[-length(coefs)])) {
    acc <- acc * r + coef
  }
  acc
}

#' Standard normal quantile of p in (0, 1) by AS241
#'
#' 6.14 ULP from the exact quantile at worst on 3e6 of the generator's
#' uniforms (make accuracy). Written out rather than calling qnorm so that
#' both languages run the same operations in the same order (R's qnorm has
#' changed its tails over time).
#'
#' @param p Double vector of probabilities.
#' @return Double vector of quantiles.
qnorm_as241 <- function(p) {
  q <- p - 0.5
  central <- abs(q) <= 0.425
  r <- 0.180625 - q * q
  z_central <- q * horner(as241_a, r) / horner(as241_b, r)
  lower <- q < 0
  tail_p <- 1 - p
  tail_p[lower] <- p[lower]
  r <- sqrt(-log(tail_p))
  near <- r <= 5
  r_near <- r - 1.6
  r_far <- r - 5
  z_tail <- horner(as241_e, r_far) / horner(as241_f, r_far)
  z_tail[near] <- (horner(as241_c, r_near) / horner(as241_d, r_near))[near]
  z_tail[lower] <- -z_tail[lower]
  z_tail[central] <- z_central[central]
  z_tail
}

#' An MRG32k3a generator seeded like python/rng.py's Rng(seed)
#'
#' A generator is inherently stateful, so this is the suite's one reference
#' object: an environment whose s1 and s2 state words the draw functions
#' advance in place, as each draw must continue the same stream. Everything
#' else in the mirror has value semantics.
#'
#' @param seed Whole number in 0..2^31-1.
#' @return An environment of class "Rng" holding s1 and s2.
rng <- function(seed) {
  if (!is_whole_in(seed, 0, max_seed)) {
    input_abort("seed must be an integer in 0..%.0f, got %s", max_seed,
                deparse(seed)[1L])
  }
  seed <- as.double(seed)
  j <- 1:3
  gen <- rng_from_state(exact_mod(seed_base + seed * seed_mult1 * j, m1),
                        exact_mod(seed_base + seed * seed_mult2 * j, m2))
  next_counts(gen, warm_up)
  gen
}

#' A generator from a raw six-word state, without warm-up
#'
#' For checking against L'Ecuyer's published stream (all words 12345).
#'
#' @param s1 Three whole numbers in 0..m1-1 (not all zero).
#' @param s2 Three whole numbers in 0..m2-1 (not all zero).
#' @return An environment of class "Rng".
rng_from_state <- function(s1, s2) {
  if (!is_state(s1, m1) || !is_state(s2, m2)) {
    input_abort(paste("s1 and s2 must be three whole numbers below m1 and",
                      "m2, not all 0"))
  }
  gen <- list2env(list(s1 = as.double(s1), s2 = as.double(s2)),
                  parent = emptyenv())
  class(gen) <- "Rng"
  gen
}

# Is x one whole number in lo..hi?
is_whole_in <- function(x, lo, hi) {
  is_real_scalar(x) && x == trunc(x) && lo <= x && x <= hi
}

# Is s three whole numbers in 0..m-1, not all zero (a component's state)?
is_state <- function(s, m) {
  is.numeric(s) && length(s) == 3L && !anyNA(s) &&
    all(s == trunc(s) & s >= 0 & s < m) && any(s > 0)
}

# p mod m (result in 0..m-1) for whole doubles |p| < 2^53. floor(p / m) may
# round up by one when p / m is just below an integer, so a negative
# remainder gets one correction; q * m and p - q * m are exact.
exact_mod <- function(p, m) {
  r <- p - floor(p / m) * m
  r + m * (r < 0)
}

#' Advance n steps; the integer outputs 1..m1 (uniforms are k * mrg_norm)
#'
#' @param gen A generator from rng(); its state is advanced.
#' @param n Number of steps.
#' @return Double vector of whole numbers.
next_counts <- function(gen, n) {
  s10 <- gen$s1[1L]
  s11 <- gen$s1[2L]
  s12 <- gen$s1[3L]
  s20 <- gen$s2[1L]
  s21 <- gen$s2[2L]
  s22 <- gen$s2[3L]
  out <- numeric(n)
  # Scalar and inlined exact_mod: this loop produces every draw of training.
  for (i in seq_len(n)) {
    p1 <- a12 * s11 - a13n * s10
    p1 <- p1 - floor(p1 / m1) * m1
    if (p1 < 0) p1 <- p1 + m1
    s10 <- s11
    s11 <- s12
    s12 <- p1
    p2 <- a21 * s22 - a23n * s20
    p2 <- p2 - floor(p2 / m2) * m2
    if (p2 < 0) p2 <- p2 + m2
    s20 <- s21
    s21 <- s22
    s22 <- p2
    out[i] <- if (p1 > p2) p1 - p2 else p1 - p2 + m1
  }
  gen$s1 <- c(s10, s11, s12)
  gen$s2 <- c(s20, s21, s22)
  out
}

#' n uniforms in the open interval (0, 1)
#'
#' @param gen A generator from rng().
#' @param n Number of draws.
#' @return Double vector.
uniform <- function(gen, n) {
  if (!inherits(gen, "Rng")) {
    type_abort("gen must be a generator from rng(seed), got %s",
               class(gen)[1L])
  }
  n <- require_count(n, "n", minimum = 0)
  next_counts(gen, n) * mrg_norm
}

#' n standard normals by inversion of n uniforms
#'
#' @inheritParams uniform
#' @return Double vector.
normal <- function(gen, n) {
  qnorm_as241(uniform(gen, n))
}

#' n integers in 0..high-1, drawn with replacement, as floor(u * high)
#'
#' @inheritParams uniform
#' @param high Number of values, 1..2^31.
#' @return Integer vector of 0-based codes.
integers <- function(gen, high, n) {
  if (!is_whole_in(high, 1, 2^31)) {
    input_abort("high must be an integer in 1..2^31, got %s",
                deparse(high)[1L])
  }
  as.integer(floor(uniform(gen, n) * high))
}
