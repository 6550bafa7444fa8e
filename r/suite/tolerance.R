# The tolerance policy: elementwise bounds by class, worst element reported,
# never a mean. Mirrors python/suite/tolerance.py.

eps <- .Machine$double.eps

# The classes of fixtures/tolerances.json, after its manifest checksum.
load_policy <- function(root = fixtures_root) {
  path <- verify_policy_file("tolerances.json", root)
  jsonlite::fromJSON(path, simplifyVector = FALSE)$classes
}

# np.spacing of |values|, dim kept: 2^(e - 52) for the binary exponent e,
# clamped at -1022 for subnormals; log2 may round across a power of two, so e
# is corrected against exact powers of two. NaN where values are not finite.
ulp <- function(values) {
  ax <- abs(as.double(values))
  e <- floor(log2(ax))
  e <- e - (2^e > ax) + (2^(e + 1) <= ax)
  out <- 2^(pmax(e, -1022) - 52)
  # np.spacing is nextafter(x, inf) - x, which overflows at the largest double.
  out[ax == .Machine$double.xmax] <- Inf
  out[!is.finite(ax)] <- NaN
  dim(out) <- dim(values)
  out
}

# A comparison's worst element: the fields of Python's Verdict dataclass.
verdict <- function(unit, error, bound, ratio, digits, passed, where) {
  list(unit = unit, error = error, bound = bound, ratio = ratio,
       digits = digits, passed = passed, where = where)
}

# "ulp" for classes bounded in ULPs only, "abs" when an absolute term enters.
unit_of <- function(cls) {
  absolute <- !is.null(cls$min_abs) || cls$c != 0 || cls$abs_eps != 0
  if (absolute) "abs" else "ulp"
}

# Allowed |got - expected| per element; err_scale is NULL or a first-order
# error bound in eps, like expected (R would recycle a shorter one silently).
bound_of <- function(cls, expected, err_scale = NULL) {
  b <- cls$max_ulp * ulp(expected) + cls$abs_eps * eps
  if (!is.null(err_scale)) {
    if (length(err_scale) != length(expected)) {
      stop("err_scale and expected differ in length", call. = FALSE)
    }
    b <- b + cls$c * eps * as.double(err_scale)
  }
  b
}

# NIST StRD's digits of agreement, -log10(|got - exp| / |exp|), capped at 17
log_relative_error <- function(got, expected) {
  scale <- abs(expected)
  scale[expected == 0] <- 1
  pmin(17, -log10(abs(got - expected) / scale))
}

# Elementwise bit equality (any NaN matches any NaN, as in Python)
bits_equal <- function(got, expected) {
  differ <- writeBin(got, raw()) != writeBin(expected, raw())
  colSums(matrix(differ, nrow = 8L)) == 0 | (is.nan(got) & is.nan(expected))
}

# Check one array against expected under a class (or bit for bit when
# bitexact); the verdict of the worst element, `where` 0-based as in Python.
compare_array <- function(got, expected, cls, err_scale = NULL,
                          bitexact = FALSE) {
  unit <- unit_of(cls)
  shape <- as.integer(shape_of(expected))
  if (!identical(as.integer(shape_of(got)), shape) || !is.numeric(got)) {
    return(verdict(unit, Inf, 0, Inf, 0, FALSE,
                   sprintf(" shape (%s) != (%s)", toString(shape_of(got)),
                           toString(shape))))
  }
  got <- as.double(got)
  expected <- as.double(expected)
  if (length(got) == 0L) {
    return(verdict(unit, 0, 0, 0, 17, TRUE, ""))
  }
  if (!is.null(cls$min_abs)) {
    smallest <- min(abs(got))
    return(verdict(unit, smallest, cls$min_abs,
                   cls$min_abs / max(smallest, 1e-300), 0,
                   isTRUE(smallest >= cls$min_abs),
                   sprintf(" min |got| = %.3g", smallest)))
  }
  finite <- is.finite(expected) & is.finite(got)
  special_ok <- ifelse(is.nan(expected), is.nan(got),
                       ifelse(is.infinite(expected),
                              (got == expected) %in% TRUE, is.finite(got)))
  diff <- ifelse(finite, abs(got - expected), 0)
  if (bitexact) {
    bound <- numeric(length(got))
    ratio <- ifelse(bits_equal(got, expected), 0, Inf)
  } else {
    bound <- bound_of(cls, expected, err_scale)
    ratio <- ifelse(diff == 0, 0, diff / bound)
  }
  ratio[!special_ok] <- Inf
  worst <- which.max(ratio)
  scale <- if (unit == "ulp") ulp(expected[worst]) else 1
  index <- if (length(shape) > 1L) arrayInd(worst, shape) - 1L else worst - 1L
  where <- sprintf("[%s]: got %.17g, expected %.17g", toString(index),
                   got[worst], expected[worst])
  lre <- ifelse(finite, log_relative_error(got, expected), 17)
  error <- if (special_ok[worst]) diff[worst] / scale else Inf
  verdict(unit, error, bound[worst] / scale, ratio[worst], min(lre),
          ratio[worst] <= 1, if (ratio[worst] > 0) where else "")
}

# Compare arrays or named lists of arrays (each key); the worst key decides.
compare <- function(got, expected, cls, err_scale = NULL, bitexact = FALSE) {
  if (!is.list(expected)) {
    return(compare_array(got, expected, cls, err_scale, bitexact))
  }
  keys <- names(expected)
  if (!is.list(got) || !identical(sort(names(got)), sort(keys))) {
    return(verdict(unit_of(cls), Inf, 0, Inf, 0, FALSE,
                   sprintf("keys (%s) != (%s)", toString(sort(names(got))),
                           toString(sort(keys)))))
  }
  verdicts <- lapply(keys, function(k) {
    compare_array(got[[k]], expected[[k]], cls, err_scale[[k]], bitexact)
  })
  worst_of(stats::setNames(verdicts, keys))
}

# The verdict of the worst array of a map (largest ratio to the bound, then
# largest error, the first key among equals, as Python's max), with the
# fewest digits of all.
worst_of <- function(verdicts) {
  field <- function(name) vapply(verdicts, `[[`, 0, name)
  key <- order(-field("ratio"), -field("error"))[1L]
  v <- verdicts[[key]]
  v$digits <- min(field("digits"))
  v$where <- if (nzchar(v$where)) paste0(names(verdicts)[key], v$where) else ""
  v
}
