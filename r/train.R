#!/usr/bin/env Rscript
# Train the book's TwoLayerNet on (Fashion-)MNIST: Rscript r/train.R --help
#
# train() is the loop of the book's ch04/train_neuralnet.py, as in
# python/train.py: the weights from rng(seed), the minibatches from
# rng(seed + 1), integers(train_size, batch_size) per iteration; row i of
# metrics.csv is the minibatch loss after update i; evaluation when
# i %% eval_every == 0 (i from 0). The run's files, --resume and the stop
# on divergence: r/suite/run_files.R.

eval_chunk <- 500L # images scaled and predicted at a time, as in Python

#' The share of rows of x whose most probable class (first on ties) is t's
#'
#' Scales eval_chunk images at a time; weights whose predictions overflow
#' count no row of a chunk, as in Python.
#'
#' @param net A TwoLayerNet.
#' @param x Raw matrix of images, one per row.
#' @param t Their 0-based labels.
#' @return The accuracy.
evaluate <- function(net, x, t) {
  correct <- 0
  for (start in seq(1L, nrow(x), by = eval_chunk)) {
    rows <- start:min(nrow(x), start + eval_chunk - 1L)
    y <- or_nan(predict(net, normalize(x[rows, , drop = FALSE])))
    if (is.matrix(y)) {
      correct <- correct + sum(max.col(y, "first") - 1L == t[rows])
    }
  }
  correct / nrow(x)
}

# The value of expr, or NaN when weights gone non-finite make the net
# refuse the batch (a dlfs_numerical_error).
or_nan <- function(expr) {
  tryCatch(expr, dlfs_numerical_error = function(e) NaN)
}

#' The book's loop, from run$iterations_done to args$iters, with a
#' checkpoint every eval_every iterations and at the end
#'
#' @param net A TwoLayerNet holding the run's weights.
#' @param data Dataset from load_data().
#' @param batch_rng The minibatch generator, in the run's state.
#' @param args The run's flags.
#' @param run From start_run().
#' @return The run after the last iteration; a non-finite loss signals
#'   dlfs_diverged_error after writing the last good state.
train <- function(net, data, batch_rng, args, run) {
  train_size <- nrow(data$x_train)
  grad_fn <- if (args$grad == "backprop") gradient else numerical_gradient
  for (i in seq(run$iterations_done,
                length.out = args$iters - run$iterations_done)) {
    params_before <- net$params # written if loss i is bad
    rng_before <- c(batch_rng$s1, batch_rng$s2)
    batch_mask <- integers(batch_rng, train_size, args$batch_size) + 1
    x_batch <- normalize(data$x_train[batch_mask, , drop = FALSE])
    t_batch <- data$t_train[batch_mask]
    loss <- or_nan({
      grads <- grad_fn(net, x_batch, t_batch)
      net$params <- sgd_update(net$params, grads, args$lr)
      loss(net, x_batch, t_batch)
    })
    run <- record_loss(run, i, loss, params_before, rng_before)
    if (i %% args$eval_every == 0) {
      train_acc <- evaluate(net, data$x_train, data$t_train)
      test_acc <- evaluate(net, data$x_test, data$t_test)
      run <- record_eval(run, i %/% args$eval_every, i, train_acc, test_acc)
      run$progress$write(sprintf("train acc, test acc | %.4f, %.4f",
                                 train_acc, test_acc))
    }
    if ((i + 1) %% args$eval_every == 0 || i + 1 == args$iters) {
      run <- save_checkpoint(run, net$params, c(batch_rng$s1, batch_rng$s2))
    }
  }
  run
}

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
      flag_error("--train-limit %d exceeds the %d training images in %s",
                 limit, n, args$data_dir)
    }
    data$x_train <- data$x_train[seq_len(limit), , drop = FALSE]
    data$t_train <- data$t_train[seq_len(limit)]
    n <- limit
  }
  if (args$batch_size > n) {
    flag_error("--batch-size %d exceeds the %d training images%s",
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
  earlier <- guard_out_dir(args$out, args$force)
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
  start_out_dir(args$out, earlier, args,
                lapply(data$files, function(f) f$sha256))
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
  state <- resume_state(out, body, data$files, resumed, net$shapes)
  if (state$iterations_done == resumed$iters &&
        identical(run_status(out), "complete")) {
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

#' Start or resume the run, train, write the outputs
#'
#' @param args Flags from parse_args().
#' @return The summary, invisibly (NULL: the run was complete already); an
#'   interrupt becomes a "train_interrupted" error naming the last
#'   checkpoint on disk.
run_training <- function(args) {
  t_start <- proc.time()[["elapsed"]]
  started <- format(Sys.time(), "%Y-%m-%dT%H:%M:%S%z")
  out <- if (!is.null(args$resume)) absolute_path(args$resume)
  tryCatch({
    setup <- if (is.null(args$resume)) start_fresh(args) else
      start_resume(args)
    if (is.null(setup)) return(invisible(NULL))
    out <- setup$args$out
    a <- setup$args
    progress <- progress_display(a$iters, a$quiet)
    on.exit(progress$close())
    run <- start_run(out, setup$state, progress)
    t_train <- proc.time()[["elapsed"]]
    batch_rng <- rng_from_state(setup$state$batch_rng[1:3],
                                setup$state$batch_rng[4:6])
    net <- setup$net
    finish <- function(run, final, diverged = NULL) {
      now <- proc.time()[["elapsed"]]
      done <- length(run$losses) - setup$state$iterations_done
      timing <- list(started = sub("(..)$", ":\\1", started),
                     load_seconds = t_train - t_start,
                     train_seconds = now - t_train,
                     wall_seconds = now - t_start,
                     seconds_per_iteration = (now - t_train) / max(1, done))
      write_outputs(run, a, setup$flags, setup$data, final, diverged,
                    if (!is.null(args$resume)) setup$state$iterations_done,
                    timing)
    }
    run <- tryCatch(train(net, setup$data, batch_rng, a, run),
                    dlfs_diverged_error = function(e) {
                      finish(e$run, NULL, e)
                      stop(e)
                    })
    net$params <- run$params # the last checkpoint's: the final weights
    final <- if ((a$iters - 1L) %% a$eval_every == 0L) {
      run$evals[nrow(run$evals), 3:4]
    } else {
      c(evaluate(net, setup$data$x_train, setup$data$t_train),
        evaluate(net, setup$data$x_test, setup$data$t_test))
    }
    summary <- finish(run, final)
    cat(sprintf("final train acc, test acc | %.4f, %.4f (%.1f s) -> %s\n",
                final[[1L]], final[[2L]], summary$timing$wall_seconds, out))
    invisible(summary)
  }, interrupt = function(e) {
    stop(structure(class = c("train_interrupted", "error", "condition"),
                   list(message = interrupted(out), call = NULL)))
  })
}

if (sys.nframe() == 0L) {
  # Rscript exits 0 on an interrupt nobody catches: one while the modules
  # load is the contract's 130 too.
  status <- tryCatch({
    script <- sub("^--file=", "",
                  grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]])
    source(file.path(dirname(normalizePath(script)), "load.R"))
    blas_single_thread()
    main(commandArgs(trailingOnly = TRUE))
  }, interrupt = function(e) {
    message("train: interrupted before the first checkpoint; nothing to ",
            "resume")
    130L
  })
  quit(save = "no", status = status)
}
