#!/usr/bin/env bash
# Install the system packages this project needs, idempotently. As root on Debian 12 it runs
# apt-get; anywhere else it prints exactly what is missing and what to install, and fails.
set -euo pipefail

PACKAGES=(
  r-base-core r-base-dev            # R 4.2 and its headers (rpy2 compiles against them)
  r-cran-testthat r-cran-jsonlite r-cran-digest r-cran-lintr
  r-cran-optparse r-cran-progress r-cran-ggplot2
  libopenblas0-pthread              # R's BLAS through Debian's alternatives (about 3x reference BLAS)
  dataset-fashion-mnist             # the real Fashion-MNIST IDX files
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  cat >&2 <<MSG
This is not a Debian system, so install by hand:
  - R >= 4.2 (rpy2 3.5.17 works up to R 4.4; rpy2 >= 3.6.7 needs R >= 4.5) with the R packages
    testthat (>= 3), jsonlite, digest, lintr, optparse, progress, ggplot2
  - an optimised BLAS for R (OpenBLAS)
  - the Fashion-MNIST IDX files, then pass --data-dir to the training commands
MSG
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
