# The training command line (optparse, used as it is) and its entry point:
# flags, their checks, exit statuses and one-line errors. r/train.R runs
# the experiment; python/train.py holds both parts.

# The flags in python/suite/train_cli.py's order: (check, default, help).
# The check (check_flag(), each flag's optparse callback): a whole-number
# range, a bound of a real number, the choices, or NULL (none: text, or a
# switch if the default is FALSE).
count_range <- c(1, .Machine$integer.max)
train_flags <- list(
  iters = list(count_range, 10000L, "SGD iterations [10000]"),
  batch_size = list(count_range, 100L, "minibatch size [100]"),
  lr = list("> 0", 0.1, "learning rate [0.1]"),
  hidden = list(count_range, 50L, "hidden units [50]"),
  weight_init_std = list(">= 0", 0.01, "initial weight scale [0.01]"),
  seed = list(c(0, max_seed - 1), 0L,
              "weights: rng(seed), batches: rng(seed+1) [0]"),
  grad = list(c("backprop", "numerical"), "backprop",
              "backprop or numerical [backprop]"),
  eval_every = list(count_range, NULL,
                    "evaluate when iteration % N == 0 [epoch]"),
  dataset = list(c("fashion-mnist", "mnist"), "fashion-mnist",
                 "fashion-mnist or mnist [fashion-mnist]"),
  data_dir = list(NULL, NULL, "directory of the four IDX files"),
  download = list(NULL, FALSE, "fetch missing MNIST files (checksummed)"),
  out = list(NULL, NULL, "output directory [runs/<time>-r-seed<N>]"),
  train_limit = list(count_range, NULL, "use only the first N training images"),
  checkpoint_in = list(NULL, NULL, "start from these weights"),
  quiet = list(NULL, FALSE, "no progress bar or progress lines"),
  force = list(NULL, FALSE, "overwrite the earlier run in --out"),
  resume = list(NULL, NULL, "continue the run in this directory")
)

# x, or default when x is NULL (base R's %||% came in R 4.4).
or_default <- function(x, default) if (is.null(x)) default else x

# "--batch-size" for batch_size.
flag_name <- function(name) paste0("--", gsub("_", "-", name))

#' The command line's parser (optparse): each flag with a check is checked
#' by its callback; no defaults here, so that the flags given are known
#' (train_flags' defaults fill in the rest)
#'
#' @return An optparse OptionParser.
build_parser <- function() {
  options <- lapply(names(train_flags), function(name) {
    check <- train_flags[[name]][[1L]]
    default <- train_flags[[name]][[2L]]
    type <- if (is.numeric(check) || is.numeric(default)) "double" else
      "character"
    optparse::make_option(
      flag_name(name), dest = name, help = train_flags[[name]][[3L]],
      type = if (isFALSE(default)) "logical" else type,
      action = if (isFALSE(default)) "store_true",
      callback = if (!is.null(check)) function(option, flag, value, parser) {
        check_flag(name, check, value)
      }
    )
  })
  optparse::OptionParser(
    usage = "Rscript r/train.R [options]",
    description = "Train the book's TwoLayerNet on (Fashion-)MNIST.",
    option_list = options
  )
}

#' Parse and check the command line
#'
#' @param args Character vector of arguments.
#' @return Named list of every flag of train_flags, checked; with --resume
#'   only resume and quiet; list(help = TRUE) for --help.
parse_args <- function(args) {
  # A number optparse cannot read comes back as text (check_flag refuses it).
  given <- tryCatch(suppressWarnings(optparse::parse_args(
    build_parser(), args, print_help_and_exit = FALSE
  )), error = function(e) {
    input_abort("%s", sub("^Error in [^:]*: *", "", conditionMessage(e)))
  })
  if (isTRUE(given$help)) return(list(help = TRUE))
  given$help <- NULL
  if (!is.null(given$resume)) {
    extra <- setdiff(names(given), c("resume", "quiet"))
    if (length(extra) > 0L) {
      input_abort(paste("--resume takes every flag from DIR/run.json; only",
                        "--quiet may be given with it, got %s"),
                  paste(flag_name(sort(extra)), collapse = " "))
    }
    return(list(resume = given$resume, quiet = isTRUE(given$quiet)))
  }
  opt <- utils::modifyList(lapply(train_flags, `[[`, 2L), given)
  if (opt$download && opt$dataset != "mnist") {
    input_abort("--download is only available with --dataset mnist")
  }
  opt
}

# A flag's value, checked against its train_flags check: one of the choices,
# or a number (number_flag()).
check_flag <- function(name, check, value) {
  if (is.numeric(check) || length(check) == 1L) {
    return(number_flag(name, check, value))
  }
  if (!value %in% check) {
    input_abort("%s must be %s, got '%s'", flag_name(name),
                paste(check, collapse = " or "), value)
  }
  value
}

# A number flag, checked: a whole number in the range check (made an
# integer), or a finite number with the bound check ("> 0" or ">= 0").
number_flag <- function(name, check, value) {
  if (is.character(value)) { # optparse could not read it as a number
    input_abort("%s must be a number, got '%s'", flag_name(name), value)
  }
  if (is.numeric(check)) {
    if (!is_whole_in(value, check[[1L]], check[[2L]])) {
      input_abort("%s must be a whole number in %.0f..%.0f, got %s",
                  flag_name(name), check[[1L]], check[[2L]], format(value))
    }
    return(as.integer(value))
  }
  if (!is.finite(value) || value < 0 || (check == "> 0" && value == 0)) {
    input_abort("%s must be a finite number %s, got %s", flag_name(name),
                check, format(value))
  }
  value
}

#' The flags recorded in run.json, checked as a fresh run's would be
#'
#' @param flags run.json's flags.
#' @param json run.json's path, for messages.
#' @return As parse_args().
recorded_flags <- function(flags, json) {
  given <- setdiff(names(train_flags), c("resume", "quiet"))
  argv <- unlist(lapply(given, function(name) {
    value <- flags[[name]]
    if (is.null(value) || isFALSE(value)) return(NULL)
    if (isTRUE(value)) return(flag_name(name))
    # Doubles with every digit, to come back exact.
    c(flag_name(name),
      if (is.double(value)) sprintf("%.17g", value) else as.character(value))
  }))
  tryCatch(parse_args(as.character(argv)), dlfs_error = function(e) {
    checkpoint_error(json, "bad flags (%s)", conditionMessage(e))
  })
}

#' Command-line entry point
#'
#' Every failure is one line on stderr: "train: error: ..." or the
#' interrupt's. A warning is held back: it ends the error's line, in
#' parentheses, when one follows (R says why a file would not open in a
#' warning, then fails with "cannot open the connection").
#'
#' @param argv Command-line arguments.
#' @return Exit status: 0 done, 2 bad flag, file, checkpoint or --out, 3
#'   diverged, 130 interrupted, 1 anything else.
main <- function(argv) {
  warned <- new.env()
  fail <- function(status, prefix = "error: ") {
    function(e) {
      why <- if (!is.null(warned$last)) sprintf(" (%s)", warned$last)
      text <- trimws(strsplit(paste0(conditionMessage(e), why), "\n")[[1L]])
      message("train: ", prefix, paste(text[nzchar(text)], collapse = "; "))
      status
    }
  }
  withCallingHandlers(
    tryCatch({
      args <- parse_args(argv)
      if (isTRUE(args$help)) {
        optparse::print_help(build_parser())
      } else {
        run_training(args)
      }
      0L
    },
    train_interrupted = fail(130L, ""),
    interrupt = function(e) fail(130L, "")(simpleError(interrupted(NULL))),
    dlfs_diverged_error = fail(3L), dlfs_error = fail(2L), error = fail(1L)),
    warning = function(w) {
      warned$last <- gsub("\\s*\n\\s*", "; ", trimws(conditionMessage(w)))
      invokeRestart("muffleWarning")
    }
  )
}

#' One BLAS thread, where R's BLAS is OpenBLAS and the user set none
#'
#' As python/train.py's OPENBLAS_NUM_THREADS=1: the same setting in both
#' languages, and the same bits in every run (two threads changed 54 rows of
#' the short run's metrics.csv, measured: OpenBLAS picks other kernels for
#' threaded products). OpenBLAS reads the variable only when R starts, so
#' this calls its setter in the library R already loaded.
#'
#' @return TRUE if the thread count was set, FALSE otherwise (invisibly).
blas_single_thread <- function() {
  lib <- La_library()
  setter <- "openblas_set_num_threads_"
  if (nzchar(Sys.getenv("OPENBLAS_NUM_THREADS")) ||
        !grepl("openblas", basename(lib))) {
    return(invisible(FALSE))
  }
  dll <- tryCatch(dyn.load(lib), error = function(e) NULL)
  found <- !is.null(dll) && is.loaded(setter, PACKAGE = dll[["name"]])
  if (found) .C(setter, 1L, PACKAGE = dll[["name"]])
  invisible(found)
}
