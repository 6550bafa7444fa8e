# The training run's set-up and outputs: the data cut to the flags, a fresh
# or resumed start, summary.json. r/train.R runs the book's loop between
# start_fresh()/start_resume() and write_outputs(); python/suite/
# train_setup.py mirrors these functions under the same names.

#' The four files of data_dir, the training set cut to --train-limit,
#' checked against --batch-size
#'
#' @param args The run's flags.
#' @return From load_dataset().
load_data <- function(args) {
  data <- load_dataset(args$data_dir)
  n <- nrow(data$x_train)
  limit <- args$train_limit
  if (!is.null(limit)) {
    if (limit > n) {
      input_abort("--train-limit %d exceeds the %d training images in %s",
                  limit, n, args$data_dir)
    }
    data$x_train <- data$x_train[seq_len(limit), , drop = FALSE]
    data$t_train <- data$t_train[seq_len(limit)]
    n <- limit
  }
  if (args$batch_size > n) {
    input_abort("--batch-size %d exceeds the %d training images%s",
                args$batch_size, n,
                if (is.null(limit)) "" else " (after --train-limit)")
  }
  data
}

# A path made absolute (as Python's os.path.abspath, without its clean-up).
absolute_path <- function(path) {
  if (startsWith(path, "/")) path else file.path(getwd(), path)
}

#' A new run: check --out, load the data and the net, write run.json
#'
#' @param args Flags from parse_args().
#' @return list(args (resolved, as in run.json), data, net, state).
start_fresh <- function(args) {
  args$out <- absolute_path(or_default(args$out, sprintf(
    "runs/%s-r-seed%d", format(Sys.time(), "%Y%m%d-%H%M%S"), args$seed
  )))
  guard_out_dir(args$out, args$force)
  args$data_dir <- absolute_path(or_default(args$data_dir,
                                            default_data_dir(args$dataset)))
  if (args$download) download_mnist(args$data_dir, log = !args$quiet)
  data <- load_data(args)
  args$eval_every <- or_default(args$eval_every,
                                max(1L, nrow(data$x_train) %/% args$batch_size))
  net <- TwoLayerNet(ncol(data$x_train), args$hidden, 10L,
                     args$weight_init_std, seed = args$seed)
  if (!is.null(args$checkpoint_in)) {
    weights <- load_weights(args$checkpoint_in)
    net <- tryCatch(set_params(net, weights), dlfs_error = function(e) {
      checkpoint_error(args$checkpoint_in, "does not fit the net: %s",
                       conditionMessage(e))
    })
  }
  start_out_dir(args$out, args, lapply(data$files, function(f) f$sha256))
  batch_rng <- rng(args$seed + 1L)
  list(args = args, flags = args, data = data, net = net,
       state = train_state(net$params, 0, c(batch_rng$s1, batch_rng$s2),
                           numeric(0), matrix(0, 0L, 4L)))
}

#' Continue a run: the flags from DIR/run.json, the data and the checkpoint
#' checked
#'
#' @param args Flags from parse_args() (resume, quiet).
#' @return As start_fresh(), or NULL if the run is complete.
start_resume <- function(args) {
  out <- absolute_path(args$resume)
  body <- read_run_json(out)
  json <- file.path(out, "run.json")
  resumed <- recorded_flags(body$flags, json)
  if (is.null(resumed$eval_every) || is.null(resumed$data_dir)) {
    checkpoint_error(json, "flags eval_every and data_dir must be resolved")
  }
  resumed[c("out", "quiet", "resume")] <- list(out, args$quiet, out)
  data <- load_data(resumed)
  net <- TwoLayerNet(ncol(data$x_train), resumed$hidden, 10L,
                     resumed$weight_init_std, seed = resumed$seed)
  remove_stale_tmp(out)
  check_data_files(body$data_files, data$files, json)
  state <- load_state(out)
  check_state_fits(state, resumed, net$shapes,
                   file.path(out, "checkpoint.bin"))
  status <- tryCatch( # summary.json's, if it is there and readable
    jsonlite::fromJSON(file.path(out, "summary.json"))$status,
    error = function(e) NULL, warning = function(w) NULL
  )
  if (state$iterations_done == resumed$iters &&
        identical(status, "complete")) {
    cat(sprintf("%s: the run is already complete (%d iterations); %s\n", out,
                resumed$iters, "nothing to do"))
    return(NULL)
  }
  if (!args$quiet) {
    cat(sprintf("resuming %s at iteration %.0f of %d\n", out,
                state$iterations_done, resumed$iters))
  }
  flags <- body$flags
  flags$out <- out
  net$params <- state$params
  list(args = resumed, flags = flags, data = data, net = net, state = state)
}

#' Write curves.png (a complete run) and summary.json
#'
#' @param run The run (train()'s, or the one a divergence carries).
#' @param args,flags The run's flags: resolved, and as in run.json.
#' @param data Dataset.
#' @param final c(train_acc, test_acc) of the final weights; NULL with
#'   diverged (the dlfs_diverged_error).
#' @param resumed_from The resumed run's first iteration, or NULL.
#' @param timing Named list of timings.
#' @return The summary, invisibly.
write_outputs <- function(run, args, flags, data, final, diverged,
                          resumed_from, timing) {
  ev <- run$evals
  if (!is.null(final)) {
    with_atomic_path(file.path(run$out, "curves.png"), function(tmp) {
      curves(tmp, seq_along(run$losses) - 1L, run$losses, ev[, 1L], ev[, 3L],
             ev[, 4L], sprintf("R | %s | seed %d | %d iterations | grad %s",
                               args$dataset, args$seed, args$iters, args$grad))
    })
  }
  status <- if (is.null(final)) {
    list(status = "diverged", diverged_at = diverged$iteration,
         diverged_loss = tolower(format(diverged$loss)))
  } else {
    list(status = "complete")
  }
  n <- length(run$losses)
  summary <- c(status, list(
    resumed_from = resumed_from, flags = flags,
    batch_generator = sprintf("Rng(%d)", args$seed + 1L),
    versions = list(language = "R", R = paste(R.version$major,
                                              R.version$minor, sep = "."),
                    blas = extSoftVersion()[["BLAS"]], lapack = La_library(),
                    platform = R.version$platform),
    data = list(dir = normalizePath(args$data_dir),
                train_size = nrow(data$x_train), test_size = nrow(data$x_test),
                image_shape = as.list(data$image_shape), files = data$files),
    final_train_acc = final[1L], final_test_acc = final[2L],
    final_loss = if (n > 0L) run$losses[[n]], evaluations = nrow(ev),
    timing = timing,
    outputs = as.list(setdiff(run_files, if (is.null(final)) "curves.png"))
  ))
  write_atomic(file.path(run$out, "summary.json"), json_text(summary))
  invisible(summary)
}
