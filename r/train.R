#!/usr/bin/env Rscript
# Train the book's TwoLayerNet on (Fashion-)MNIST: Rscript r/train.R --help
#
# Same flags, same numbers as python -m python.train (see python/train.py for
# the experiment): weights from rng(seed), minibatches from rng(seed + 1)
# drawing integers(train_size, batch_size) per iteration (+ 1L to index);
# metrics.csv row i is the minibatch loss after the update of iteration i
# (the book's order); evaluation when i %% eval_every == 0, i from 0.
#
# Speed: the training images are scaled to doubles once (scale_images) and
# batches stay one image per column, as stored (gradient_columns); the
# evaluations run in a forked evaluator process beside the training; BLAS
# runs one thread (blas_single_thread).

eval_chunk <- 2000L
# Evaluations over at least this many pixels (train + test) run in the
# evaluator process while training goes on; smaller ones are not worth it.
fork_min_pixels <- 5e6
# Iterations between checks for a finished evaluation.
poll_every <- 32L
# Iterations whose minibatch indices are drawn in one call.
draw_block <- 100L

# x, or default when x is NULL (base R's %||% arrived in R 4.4).
or_default <- function(x, default) if (is.null(x)) default else x

#' The command line, identical to python/train.py's
#'
#' @return An optparse OptionParser.
train_parser <- function() {
  o <- optparse::make_option
  optparse::OptionParser(
    usage = "Rscript r/train.R [options]",
    description = "Train the book's TwoLayerNet on (Fashion-)MNIST.",
    option_list = list(
      o("--iters", type = "integer", default = 10000L,
        help = "SGD iterations [10000]"),
      o("--batch-size", dest = "batch_size", type = "integer", default = 100L,
        help = "minibatch size [100]"),
      o("--lr", type = "double", default = 0.1, help = "learning rate [0.1]"),
      o("--hidden", type = "integer", default = 50L,
        help = "hidden units [50]"),
      o("--weight-init-std", dest = "weight_init_std", type = "double",
        default = 0.01, help = "initial weight scale [0.01]"),
      o("--seed", type = "integer", default = 0L,
        help = "weights from rng(seed), batches from rng(seed+1) [0]"),
      o("--grad", type = "character", default = "backprop",
        help = "backprop or numerical [backprop]"),
      o("--eval-every", dest = "eval_every", type = "integer",
        help = paste("evaluate when iteration % N == 0",
                     "[one epoch: max(1, train_size %/% batch_size)]")),
      o("--dataset", type = "character", default = "fashion-mnist",
        help = "fashion-mnist or mnist [fashion-mnist]"),
      o("--data-dir", dest = "data_dir", type = "character",
        help = "directory of the four IDX files (.gz or not)"),
      o("--download", action = "store_true", default = FALSE,
        help = "fetch missing MNIST files (checksummed)"),
      o("--out", type = "character",
        help = "output directory [runs/<timestamp>-r-seed<N>]"),
      o("--train-limit", dest = "train_limit", type = "integer",
        help = "use only the first N training images"),
      o("--checkpoint-in", dest = "checkpoint_in", type = "character",
        help = "start from these weights instead of random ones"),
      o("--quiet", action = "store_true", default = FALSE,
        help = "no progress bar or progress lines")
    )
  )
}

#' The first count flag that is not at least 1, as a message, or NULL
#'
#' @param opt Flags from optparse.
#' @return A message or NULL.
count_problem <- function(opt) {
  for (name in c("iters", "batch_size", "hidden", "eval_every",
                 "train_limit")) {
    value <- opt[[name]]
    if (!is.null(value) && (is.na(value) || value < 1L)) {
      return(sprintf("--%s must be at least 1, got %s", gsub("_", "-", name),
                     value))
    }
  }
  NULL
}

#' The first problem with parsed flags, or NULL if there is none
#'
#' @param opt Flags from optparse.
#' @return A message or NULL.
flag_problem <- function(opt) {
  counts <- count_problem(opt)
  if (!is.null(counts)) return(counts)
  checks <- c(
    "--seed must be in 0..2147483646" =
      !is.na(opt$seed) && opt$seed >= 0L && opt$seed < max_seed,
    "--grad must be backprop or numerical" =
      opt$grad %in% c("backprop", "numerical"),
    "--dataset must be fashion-mnist or mnist" =
      opt$dataset %in% c("fashion-mnist", "mnist"),
    "--download is only available with --dataset mnist" =
      !opt$download || opt$dataset == "mnist"
  )
  if (all(checks)) NULL else names(checks)[!checks][[1L]]
}

#' Parse and check the command line; stop() with a usage message if bad
#'
#' @param args Character vector of arguments.
#' @return Named list of flag values in python/train.py's order.
parse_train_args <- function(args) {
  opt <- optparse::parse_args(train_parser(), args)
  problem <- flag_problem(opt)
  if (!is.null(problem)) stop(problem, call. = FALSE)
  keys <- c("iters", "batch_size", "lr", "hidden", "weight_init_std", "seed",
            "grad", "eval_every", "dataset", "data_dir", "download", "out",
            "train_limit", "checkpoint_in", "quiet")
  stats::setNames(lapply(keys, function(k) opt[[k]]), keys)
}

#' Language, library and BLAS versions
#'
#' @return Named list.
r_versions <- function() {
  list(language = "R", R = paste(R.version$major, R.version$minor, sep = "."),
       blas = extSoftVersion()[["BLAS"]], lapack = La_library(),
       platform = R.version$platform)
}

#' Rows whose most probable class (first on ties) is the label
#'
#' Scales one chunk of eval_chunk images at a time.
#'
#' @param net A TwoLayerNet.
#' @param images Raw matrix, one image per column, or the same scaled by
#'   scale_images().
#' @param labels 0-based codes.
#' @param from,to The images to count (1-based, inclusive): all by default.
#' @return Count of correct rows.
count_correct <- function(net, images, labels, from = 1L, to = ncol(images)) {
  correct <- 0
  for (start in seq(from, to, by = eval_chunk)) {
    cols <- start:min(to, start + eval_chunk - 1L)
    y <- forward(net, image_columns(images, cols), columns = TRUE)
    correct <- correct +
      sum(max.col(y, ties.method = "first") - 1L == labels[cols])
  }
  correct
}

#' Correct counts on part of the training set and, if asked, the test set
#'
#' @param net A TwoLayerNet.
#' @param data Dataset from load_dataset() (x_train possibly scaled by
#'   scale_images()).
#' @param from,to Training images to count (1-based, inclusive).
#' @param test Count the test set too (else 0).
#' @return c(train_correct, test_correct, seconds).
correct_counts <- function(net, data, from = 1L, to = ncol(data$x_train),
                           test = TRUE) {
  t0 <- proc.time()[["elapsed"]]
  c(count_correct(net, data$x_train, data$t_train, from, to),
    if (test) count_correct(net, data$x_test, data$t_test) else 0,
    proc.time()[["elapsed"]] - t0)
}

#' Are evaluations on this data worth a second process (and can R fork)?
#'
#' @param data Dataset from load_dataset().
#' @return TRUE or FALSE.
fork_evaluations <- function(data) {
  pixels <- (ncol(data$x_train) + ncol(data$x_test)) * nrow(data$x_train)
  .Platform$OS.type == "unix" && pixels >= fork_min_pixels
}

#' Start the evaluator: a forked process that counts for the weights sent
#'
#' Evaluations only read the weights, so they run on the other core while
#' training goes on. One process for the whole run, forked before the
#' training allocates: after every fork the parent copies (copy-on-write)
#' each page it then writes, and a fork per evaluation cost seconds of that
#' over a run (measured). Request k (weights and the images to count) and
#' its answer (three doubles) are files in a private directory, each
#' written under a temporary name and renamed, so a file that exists is
#' complete. Without fork the counts are computed at once, here.
#'
#' @param net A TwoLayerNet.
#' @param data Dataset (x_train possibly scaled by scale_images()).
#' @param fork Fork (TRUE) or count here (FALSE).
#' @return An evaluator for evaluate(), evaluation_result(),
#'   stop_evaluator().
start_evaluator <- function(net, data, fork) {
  if (!fork) return(list(net = net, data = data))
  dir <- tempfile("evaluator-")
  dir.create(dir)
  job <- parallel::mcparallel(serve_evaluations(net, data, dir), silent = TRUE)
  list(job = job, dir = dir, data = data)
}

#' Write value to path atomically (a temporary file, then a rename)
#'
#' @param value An R object.
#' @param path Destination.
#' @return NULL, invisibly.
put_file <- function(value, path) {
  tmp <- paste0(path, ".tmp")
  saveRDS(value, tmp, compress = FALSE)
  file.rename(tmp, path)
  invisible(NULL)
}

#' Wait for path to exist, then read and remove it
#'
#' @param path File written by put_file().
#' @param wait Wait (polling every millisecond); FALSE answers NULL at once
#'   if the file is not there yet.
#' @return The value, or NULL.
take_file <- function(path, wait) {
  while (!file.exists(path)) {
    if (!wait) return(NULL)
    Sys.sleep(0.001)
  }
  value <- readRDS(path)
  unlink(path)
  value
}

#' The evaluator's loop: answer request k with correct_counts()
#'
#' @inheritParams start_evaluator
#' @param dir The evaluator's directory.
#' @return NULL, after a NULL request.
serve_evaluations <- function(net, data, dir) {
  k <- 0L
  repeat {
    k <- k + 1L
    request <- take_file(file.path(dir, paste0("request-", k)), wait = TRUE)
    if (is.null(request$params)) return(invisible(NULL))
    net$params <- request$params
    counts <- tryCatch(
      correct_counts(net, data, request$from, request$to, request$test),
      error = function(e) c(NA_real_, NA_real_, NA_real_)
    )
    put_file(counts, file.path(dir, paste0("answer-", k)))
  }
}

#' Ask for correct_counts() of the net's weights
#'
#' @param evaluator From start_evaluator().
#' @param net A TwoLayerNet.
#' @param k Request number: 1, 2, ... in order, one per call.
#' @inheritParams correct_counts
#' @return A pending evaluation for evaluation_result().
evaluate <- function(evaluator, net, k, from = 1L,
                     to = ncol(evaluator$data$x_train), test = TRUE) {
  if (is.null(evaluator$job)) {
    return(list(counts = correct_counts(net, evaluator$data, from, to, test)))
  }
  put_file(list(params = net$params, from = from, to = to, test = test),
           file.path(evaluator$dir, paste0("request-", k)))
  list(k = k)
}

#' The counts of a pending evaluation, or NULL if not ready
#'
#' @param evaluator From start_evaluator().
#' @param pending From evaluate().
#' @param wait Wait for the answer.
#' @return c(train_correct, test_correct, seconds), or NULL.
evaluation_result <- function(evaluator, pending, wait) {
  if (!is.null(pending$counts)) return(pending$counts)
  counts <- take_file(file.path(evaluator$dir, paste0("answer-", pending$k)),
                      wait)
  if (anyNA(counts)) stop("evaluation failed", call. = FALSE)
  counts
}

#' Stop the evaluator process and remove its directory
#'
#' @param evaluator From start_evaluator().
#' @param requests Requests made so far.
#' @param finished TRUE after the last answer (the process then exits by
#'   itself); FALSE (an error) kills it.
#' @return NULL, invisibly.
stop_evaluator <- function(evaluator, requests, finished) {
  if (is.null(evaluator$job)) return(invisible(NULL))
  if (finished) {
    put_file(list(), file.path(evaluator$dir,
                               paste0("request-", requests + 1L)))
  } else {
    tools::pskill(evaluator$job$pid)
  }
  parallel::mccollect(evaluator$job)
  unlink(evaluator$dir, recursive = TRUE)
  invisible(NULL)
}

#' Record the finished evaluations, oldest first, and print their lines
#'
#' @param state list(pending = evaluations not yet recorded, in order, each
#'   with its iteration i; evals = the data frame; eval_seconds).
#' @param evaluator From start_evaluator().
#' @param data Dataset (for the set sizes).
#' @param eval_every Iterations per evaluation.
#' @param bar A progress_display().
#' @param wait Wait for every pending evaluation; otherwise wait only for
#'   those with a later one behind them (at most one runs beside training).
#' @return state, updated.
record_evaluations <- function(state, evaluator, data, eval_every, bar,
                               wait) {
  while (length(state$pending) > 0L) {
    head <- state$pending[[1L]]
    counts <- evaluation_result(evaluator, head,
                                wait || length(state$pending) > 1L)
    if (is.null(counts)) break
    k <- head$i %/% eval_every + 1L
    acc <- counts[1:2] / c(ncol(data$x_train), ncol(data$x_test))
    state$evals[k, ] <- list(k - 1L, head$i, acc[[1L]], acc[[2L]])
    state$eval_seconds <- state$eval_seconds + counts[[3L]]
    bar$write(sprintf("train acc, test acc | %.4f, %.4f", acc[[1L]],
                      acc[[2L]]))
    state$pending <- state$pending[-1L]
  }
  state
}

#' Start counting the final weights: the first half of the training set by
#' the evaluator, the rest and the test set here
#'
#' @param evaluator From start_evaluator().
#' @param net A TwoLayerNet.
#' @param data Dataset (x_train possibly scaled by scale_images()).
#' @param k Its request number for evaluate().
#' @return list(first = a pending evaluation, here = correct_counts()).
final_counts <- function(evaluator, net, data, k) {
  n <- ncol(data$x_train)
  half <- n %/% 2L
  list(first = evaluate(evaluator, net, k, 1L, half, test = FALSE),
       here = correct_counts(net, data, half + 1L, n))
}

#' Train and test accuracy from final_counts()
#'
#' @param evaluator From start_evaluator(); earlier evaluations must have
#'   been answered (answers come in order).
#' @param counts From final_counts().
#' @param data Dataset (for the set sizes).
#' @return c(train_acc, test_acc).
final_accuracies <- function(evaluator, counts, data) {
  first <- evaluation_result(evaluator, counts$first, TRUE)
  c((first[[1L]] + counts$here[[1L]]) / ncol(data$x_train),
    counts$here[[2L]] / ncol(data$x_test))
}

#' Run the SGD loop
#'
#' @param opt Flags from parse_train_args() with eval_every resolved.
#' @param data Dataset from load_dataset().
#' @param net A TwoLayerNet.
#' @param bar A progress_display().
#' @return list(net, losses, evals (data frame), final, timings).
train_loop <- function(opt, data, net, bar) {
  n_train <- ncol(data$x_train)
  # Scaled once, for the batches and the evaluations (a fork shares it).
  data$x_train <- scale_images(data$x_train)
  batches <- rng(opt$seed + 1L)
  grad_fn <- if (opt$grad == "backprop") {
    gradient_columns
  } else {
    function(net, xt, t) numerical_gradient(net, t(xt), t)
  }
  evaluator <- start_evaluator(net, data, fork_evaluations(data))
  finished <- FALSE
  requests <- 0L
  on.exit(stop_evaluator(evaluator, requests, finished))
  losses <- numeric(opt$iters)
  n_evals <- (opt$iters - 1L) %/% opt$eval_every + 1L
  state <- list(pending = list(), eval_seconds = 0, evals = data.frame(
    epoch = integer(n_evals), iter = integer(n_evals),
    train_acc = numeric(n_evals), test_acc = numeric(n_evals)
  ))
  start <- proc.time()[["elapsed"]]
  for (i in seq_len(opt$iters) - 1L) {
    # integers(n, k * b) is integers(n, b) k times over: the same stream.
    if (i %% draw_block == 0L) {
      count <- min(draw_block, opt$iters - i)
      block <- matrix(integers(batches, n_train, opt$batch_size * count) + 1L,
                      nrow = opt$batch_size)
    }
    idx <- block[, i %% draw_block + 1L]
    # The batch one image per column, as stored: no transpose (forward()).
    x_cols <- image_columns(data$x_train, idx)
    t_batch <- data$t_train[idx]
    grads <- grad_fn(net, x_cols, t_batch)
    net$params <- sgd_update(net$params, grads, opt$lr)
    losses[i + 1L] <- loss_columns(net, x_cols, t_batch)
    if (i %% opt$eval_every == 0L) {
      requests <- requests + 1L
      state$pending <- c(state$pending,
                         list(c(evaluate(evaluator, net, requests), i = i)))
    }
    if (length(state$pending) > 0L && i %% poll_every == 0L) {
      state <- record_evaluations(state, evaluator, data, opt$eval_every, bar,
                                  FALSE)
    }
    bar$update(i + 1L, losses[i + 1L])
  }
  # The final weights' accuracies: those of the last evaluation if it was
  # the last iteration's.
  counts <- if ((opt$iters - 1L) %% opt$eval_every != 0L) {
    requests <- requests + 1L
    final_counts(evaluator, net, data, requests)
  }
  state <- record_evaluations(state, evaluator, data, opt$eval_every, bar,
                              TRUE)
  final <- if (is.null(counts)) {
    unlist(state$evals[n_evals, c("train_acc", "test_acc")], use.names = FALSE)
  } else {
    final_accuracies(evaluator, counts, data)
  }
  finished <- TRUE
  list(net = net, losses = losses, evals = state$evals, final = final,
       train_seconds = proc.time()[["elapsed"]] - start,
       eval_seconds = state$eval_seconds,
       eval_overlapped = !is.null(evaluator$job))
}

#' Doubles as JSON literals with enough digits to round-trip
#'
#' jsonlite keeps at most 15 significant digits, which loses bits.
#'
#' @param x A value or (nested) list.
#' @return x with every finite double scalar replaced by a "json" string.
exact_json <- function(x) {
  if (is.list(x)) return(lapply(x, exact_json))
  if (!is.double(x) || length(x) != 1L || !is.finite(x)) return(x)
  for (digits in 15:17) {
    s <- sprintf("%.*g", digits, x)
    if (as.numeric(s) == x) break
  }
  structure(s, class = "json")
}

#' Write every output through a temporary file and a rename; summary last
#'
#' @param out Output directory.
#' @param opt Flags.
#' @param data Dataset.
#' @param res Result of train_loop().
#' @param timing Named list of timings (t_start is replaced by wall_seconds).
#' @return The summary list, invisibly.
write_outputs <- function(out, opt, data, res, timing) {
  save_checkpoint(file.path(out, "checkpoint.bin"), res$net$params)
  write_atomic(file.path(out, "metrics.csv"), paste0(
    "iter,loss\n", paste0(sprintf("%d,%.17g\n", seq_along(res$losses) - 1L,
                                  res$losses), collapse = "")
  ))
  ev <- res$evals
  write_atomic(file.path(out, "epochs.csv"), paste0(
    "epoch,iter,train_acc,test_acc\n",
    paste0(sprintf("%d,%d,%.17g,%.17g\n", ev$epoch, ev$iter, ev$train_acc,
                   ev$test_acc), collapse = "")
  ))
  with_atomic_path(file.path(out, "curves.png"), function(tmp) {
    plot_curves(tmp, seq_along(res$losses) - 1L, res$losses, ev$epoch,
                ev$train_acc, ev$test_acc,
                sprintf("R | %s | seed %d | %d iterations | grad %s",
                        opt$dataset, opt$seed, opt$iters, opt$grad))
  })
  timing$wall_seconds <- proc.time()[["elapsed"]] - timing$t_start
  timing$t_start <- NULL
  summary <- list(
    flags = opt, versions = r_versions(),
    batch_generator = sprintf("Rng(%d)", opt$seed + 1L),
    data = list(dir = normalizePath(opt$data_dir),
                train_size = ncol(data$x_train), test_size = ncol(data$x_test),
                image_shape = as.list(data$image_shape), files = data$files),
    final_train_acc = res$final[[1L]], final_test_acc = res$final[[2L]],
    final_loss = res$losses[[length(res$losses)]], evaluations = nrow(ev),
    timing = timing, outputs = as.list(c("metrics.csv", "epochs.csv",
                                         "summary.json", "curves.png",
                                         "checkpoint.bin"))
  )
  json <- jsonlite::toJSON(exact_json(summary), auto_unbox = TRUE,
                           pretty = TRUE, null = "null", na = "null",
                           json_verbatim = TRUE)
  write_atomic(file.path(out, "summary.json"), paste0(json, "\n"))
  invisible(summary)
}

#' Load the data, train, write the outputs
#'
#' @param opt Flags from parse_train_args().
#' @return The summary list, invisibly.
run_training <- function(opt) {
  t_start <- proc.time()[["elapsed"]]
  started <- Sys.time()
  out <- or_default(opt$out, sprintf("runs/%s-r-seed%d",
                                     format(started, "%Y%m%d-%H%M%S"),
                                     opt$seed))
  if (any(file.exists(file.path(out, c("metrics.csv", "summary.json"))))) {
    stop(sprintf(paste("%s: already holds a run's metrics.csv/summary.json;",
                       "refusing to overwrite"), out), call. = FALSE)
  }
  opt$data_dir <- or_default(opt$data_dir, default_data_dir(opt$dataset))
  if (opt$download) download_mnist(opt$data_dir, log = !opt$quiet)
  data <- load_dataset(opt$data_dir)
  if (!is.null(opt$train_limit)) {
    if (opt$train_limit > ncol(data$x_train)) {
      stop(sprintf("--train-limit %d exceeds the %d training images",
                   opt$train_limit, ncol(data$x_train)), call. = FALSE)
    }
    keep <- seq_len(opt$train_limit)
    data$x_train <- data$x_train[, keep, drop = FALSE]
    data$t_train <- data$t_train[keep]
  }
  opt$eval_every <- or_default(
    opt$eval_every, max(1L, ncol(data$x_train) %/% opt$batch_size)
  )
  net <- TwoLayerNet(nrow(data$x_train), opt$hidden, 10L,
                     opt$weight_init_std, seed = opt$seed)
  if (!is.null(opt$checkpoint_in)) {
    net$params <- load_checkpoint(opt$checkpoint_in)
  }
  opt$out <- out
  dir.create(out, recursive = TRUE, showWarnings = FALSE)
  load_seconds <- proc.time()[["elapsed"]] - t_start
  bar <- progress_display(opt$iters, opt$quiet)
  res <- tryCatch(train_loop(opt, data, net, bar), finally = bar$close())
  stamp <- format(started, "%Y-%m-%dT%H:%M:%S%z")
  timing <- list(t_start = t_start,
                 started = sub("(..)$", ":\\1", stamp),
                 load_seconds = load_seconds,
                 train_seconds = res$train_seconds,
                 eval_seconds = res$eval_seconds,
                 eval_overlapped = res$eval_overlapped,
                 # Overlapped evaluations cost the loop no wall time of
                 # their own: train_seconds already holds what they delay.
                 seconds_per_iteration = (res$train_seconds -
                   if (res$eval_overlapped) 0 else res$eval_seconds) /
                   opt$iters)
  summary <- write_outputs(out, opt, data, res, timing)
  cat(sprintf("final train acc, test acc | %.4f, %.4f (%.1f s) -> %s\n",
              res$final[[1L]], res$final[[2L]],
              summary$timing$wall_seconds, out))
  invisible(summary)
}

#' One BLAS thread, where R's BLAS is OpenBLAS and the user set none
#'
#' The net's products are small: a second BLAS thread gains little on a
#' quiet machine and costs ten times over when another process holds a core
#' (the threads wait for each other at every product). One thread also
#' leaves the other core to the forked evaluations. OpenBLAS reads
#' OPENBLAS_NUM_THREADS only when R starts, so this calls its Fortran-style
#' setter (an int pointer, as .C passes) in the library R already loaded.
#'
#' @return TRUE if the thread count was set, FALSE otherwise (invisibly).
blas_single_thread <- function() {
  lib <- La_library()
  if (nzchar(Sys.getenv("OPENBLAS_NUM_THREADS")) ||
        !grepl("openblas", basename(lib))) {
    return(invisible(FALSE))
  }
  dll <- tryCatch(dyn.load(lib), error = function(e) NULL)
  setter <- "openblas_set_num_threads_"
  if (is.null(dll) || !is.loaded(setter, PACKAGE = dll[["name"]])) {
    return(invisible(FALSE))
  }
  .C(setter, 1L, PACKAGE = dll[["name"]])
  invisible(TRUE)
}

#' Source the core modules and the training modules into envir
#'
#' @param root Repository root.
#' @param envir Environment to define the functions in.
#' @return envir, invisibly.
load_training <- function(root, envir = parent.frame()) {
  sys.source(file.path(root, "r", "load.R"), envir = envir)
  envir$load_modules(root, envir = envir)
  for (module in c("mnist", "checkpoint", "plots")) {
    sys.source(file.path(root, "r", paste0(module, ".R")), envir = envir)
  }
  invisible(envir)
}

#' Command-line entry point
#'
#' @param args Command-line arguments.
#' @return Exit status: 0, 1 (data, checkpoint or output error) or 2 (flags).
main <- function(args) {
  opt <- tryCatch(parse_train_args(args), error = identity)
  if (inherits(opt, "error")) {
    message("train.R: error: ", conditionMessage(opt))
    return(2L)
  }
  ran <- tryCatch(run_training(opt), error = identity)
  if (inherits(ran, "error")) {
    message("train: error: ", conditionMessage(ran))
    return(1L)
  }
  0L
}

if (sys.nframe() == 0L) {
  script <- sub("^--file=", "",
                grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]])
  load_training(dirname(dirname(normalizePath(script))), globalenv())
  blas_single_thread()
  quit(save = "no", status = main(commandArgs(trailingOnly = TRUE)))
}
