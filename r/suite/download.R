# Checksummed downloads of the MNIST files from a list of mirrors, for
# --download. Mirrors python/suite/download.py.

# SHA-256 of the canonical MNIST .gz files (tensorflow-datasets' values).
mnist_sha256 <- c(
  "train-images-idx3-ubyte.gz" =
    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  "train-labels-idx1-ubyte.gz" =
    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  "t10k-images-idx3-ubyte.gz" =
    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  "t10k-labels-idx1-ubyte.gz" =
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
)
default_mirrors <- c("https://ossci-datasets.s3.amazonaws.com/mnist/",
                     "https://storage.googleapis.com/cvdf-datasets/mnist/",
                     "http://yann.lecun.com/exdb/mnist/")

#' Mirrors to try: $DLFS_MNIST_MIRRORS (comma or space separated) or defaults
#'
#' @return Character vector of base URLs ending in "/".
mirror_list <- function() {
  env <- strsplit(gsub(",", " ", Sys.getenv("DLFS_MNIST_MIRRORS")), " ")[[1L]]
  env <- env[nzchar(env)]
  if (length(env) == 0L) return(default_mirrors)
  ifelse(endsWith(env, "/"), env, paste0(env, "/"))
}

# Download one file (name, appended to each mirror's URL) into dest,
# atomically, from the first mirror serving its bytes, or fail naming dest
# and every failure.
fetch_from_mirrors <- function(name, dest, sha256, mirrors, log) {
  failures <- character()
  for (base in mirrors) {
    why <- tryCatch({
      with_atomic_path(dest, function(tmp) {
        utils::download.file(paste0(base, name), tmp, mode = "wb", quiet = TRUE)
        got <- sha256_file(tmp)
        if (got != sha256) {
          stop(sprintf("SHA-256 %s != expected %s", got, sha256))
        }
      })
      return(invisible(NULL))
    }, error = conditionMessage, warning = conditionMessage)
    failures <- c(failures, paste0(base, name, ": ", why))
    if (log) {
      message("download failed, trying next mirror: ",
              failures[[length(failures)]])
    }
  }
  idx_error(dest, "no mirror served a valid copy:\n  %s",
            paste(failures, collapse = "\n  "))
}

#' Fetch each missing or wrong file from the first mirror serving its bytes
#'
#' @param dest_dir Directory to download into (created if needed).
#' @param mirrors Base URLs, tried in order.
#' @param checksums Named character vector: file name -> SHA-256.
#' @param log Report failed mirrors.
#' @return The files' paths (invisibly); an error naming every failure of a
#'   file no mirror served.
download_mnist <- function(dest_dir, mirrors = mirror_list(),
                           checksums = mnist_sha256, log = TRUE) {
  dir.create(dest_dir, recursive = TRUE, showWarnings = FALSE)
  if (!dir.exists(dest_dir)) {
    idx_error(dest_dir, "cannot create the download directory")
  }
  for (name in names(checksums)) {
    dest <- file.path(dest_dir, name)
    if (file.exists(dest) && !dir.exists(dest) &&
          sha256_file(dest) == checksums[[name]]) next
    fetch_from_mirrors(name, dest, checksums[[name]], mirrors, log)
  }
  invisible(file.path(dest_dir, names(checksums)))
}
