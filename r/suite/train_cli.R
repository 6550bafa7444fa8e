# The training command line (optparse, used as it is) and its entry point:
# flags, their checks, exit statuses and one-line errors. r/train.R runs
# the experiment; python/train.py holds both parts.

# The flags in python/train.py's order, with their defaults.
train_defaults <- list(
  iters = 10000L, batch_size = 100L, lr = 0.1, hidden = 50L,
  weight_init_std = 0.01, seed = 0L, grad = "backprop", eval_every = NULL,
  dataset = "fashion-mnist", data_dir = NULL, download = FALSE, out = NULL,
  train_limit = NULL, checkpoint_in = NULL, quiet = FALSE, force = FALSE,
  resume = NULL
)

# x, or default when x is NULL (base R's %||% came in R 4.4).
or_default <- function(x, default) if (is.null(x)) default else x

# "--batch-size" for batch_size.
flag_name <- function(name) paste0("--", gsub("_", "-", name))

# Signal a bad flag (exit status 2).
flag_error <- function(...) dlfs_abort("input_error", sprintf(...))

#' The command line's parser (optparse); no defaults here, so that the
#' flags given are known (train_defaults fills in the rest)
#'
#' @return An optparse OptionParser.
build_parser <- function() {
  flag <- function(name, type, help) {
    action <- if (type == "switch") "store_true" else "store"
    optparse::make_option(flag_name(name), dest = name, action = action,
                          type = if (type == "switch") "logical" else type,
                          help = help)
  }
  optparse::OptionParser(
    usage = "Rscript r/train.R [options]",
    description = "Train the book's TwoLayerNet on (Fashion-)MNIST.",
    option_list = list(
      flag("iters", "double", "SGD iterations [10000]"),
      flag("batch_size", "double", "minibatch size [100]"),
      flag("lr", "double", "learning rate [0.1]"),
      flag("hidden", "double", "hidden units [50]"),
      flag("weight_init_std", "double", "initial weight scale [0.01]"),
      flag("seed", "double", "weights: rng(seed), batches: rng(seed+1) [0]"),
      flag("grad", "character", "backprop or numerical [backprop]"),
      flag("eval_every", "double", "evaluate when iteration %% N == 0 [epoch]"),
      flag("dataset", "character", "fashion-mnist or mnist [fashion-mnist]"),
      flag("data_dir", "character", "directory of the four IDX files"),
      flag("download", "switch", "fetch missing MNIST files (checksummed)"),
      flag("out", "character", "output directory [runs/<time>-r-seed<N>]"),
      flag("train_limit", "double", "use only the first N training images"),
      flag("checkpoint_in", "character", "start from these weights"),
      flag("quiet", "switch", "no progress bar or progress lines"),
      flag("force", "switch", "overwrite the earlier run in --out"),
      flag("resume", "character", "continue the run in this directory")
    )
  )
}

#' Parse and check the command line
#'
#' @param args Character vector of arguments.
#' @return Named list of every flag of train_defaults, checked; with
#'   --resume only resume and quiet; list(help = TRUE) for --help.
parse_args <- function(args) {
  # A number optparse cannot read comes back as text (checked below).
  given <- tryCatch(suppressWarnings(optparse::parse_args(
    build_parser(), args, print_help_and_exit = FALSE
  )), error = function(e) {
    flag_error("%s", sub("^Error in [^:]*: *", "", conditionMessage(e)))
  })
  if (isTRUE(given$help)) return(list(help = TRUE))
  given$help <- NULL
  if (!is.null(given$resume)) {
    extra <- setdiff(names(given), c("resume", "quiet"))
    if (length(extra) > 0L) {
      flag_error(paste("--resume takes every flag from DIR/run.json; only",
                       "--quiet may be given with it, got %s"),
                 paste(flag_name(sort(extra)), collapse = " "))
    }
    return(list(resume = given$resume, quiet = isTRUE(given$quiet)))
  }
  check_flags(utils::modifyList(train_defaults, given))
}

#' Every flag checked: numbers, counts (as integers), choices
#'
#' @param opt Named list of every flag of train_defaults.
#' @return opt, counts as integers; a flag error names the first bad one.
check_flags <- function(opt) {
  for (name in c("iters", "batch_size", "hidden", "seed", "eval_every",
                 "train_limit")) {
    if (!is.null(opt[[name]])) opt[[name]] <- count_flag(name, opt[[name]])
  }
  real_flag("lr", opt$lr, "> 0")
  real_flag("weight_init_std", opt$weight_init_std, ">= 0")
  choices <- list(grad = c("backprop", "numerical"),
                  dataset = c("fashion-mnist", "mnist"))
  for (name in names(choices)) {
    if (!opt[[name]] %in% choices[[name]]) {
      flag_error("%s must be %s, got '%s'", flag_name(name),
                 paste(choices[[name]], collapse = " or "), opt[[name]])
    }
  }
  if (opt$download && opt$dataset != "mnist") {
    flag_error("--download is only available with --dataset mnist")
  }
  opt
}

# A number optparse could not read comes back as text.
not_a_number <- function(name, value) {
  if (is.character(value)) {
    flag_error("%s must be a number, got '%s'", flag_name(name), value)
  }
}

# A count flag as an integer: a whole number from 1 (0 for --seed) to R's
# largest integer (the largest seed for --seed).
count_flag <- function(name, value) {
  not_a_number(name, value)
  range <- if (name == "seed") c(0, max_seed - 1) else
    c(1, .Machine$integer.max)
  if (!isTRUE(value == round(value) && value >= range[1L] &&
                value <= range[2L])) {
    flag_error("%s must be a whole number in %.0f..%.0f, got %s",
               flag_name(name), range[1L], range[2L], format(value))
  }
  as.integer(value)
}

# Refuse a real flag that is not finite and (bound) "> 0" or ">= 0".
real_flag <- function(name, value, bound) {
  not_a_number(name, value)
  if (!is.finite(value) || value < 0 || (bound == "> 0" && value == 0)) {
    flag_error("%s must be a finite number %s, got %s", flag_name(name), bound,
               format(value))
  }
}

#' The flags recorded in run.json, checked as a fresh run's would be
#'
#' @param flags run.json's flags.
#' @param json run.json's path, for messages.
#' @return As parse_args().
recorded_flags <- function(flags, json) {
  argv <- unlist(lapply(setdiff(names(train_defaults), c("resume", "quiet")),
                        function(name) {
                          value <- flags[[name]]
                          if (is.null(value) || isFALSE(value)) return(NULL)
                          # Doubles with every digit, to come back exact.
                          text <- if (is.double(value)) {
                            sprintf("%.17g", value)
                          } else {
                            as.character(value)
                          }
                          c(flag_name(name), if (!isTRUE(value)) text)
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
  if (is.null(dll) || !is.loaded(setter, PACKAGE = dll[["name"]])) {
    return(invisible(FALSE))
  }
  .C(setter, 1L, PACKAGE = dll[["name"]])
  invisible(TRUE)
}
