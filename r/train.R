#!/usr/bin/env Rscript
# Train the book's TwoLayerNet on (Fashion-)MNIST: Rscript r/train.R --help
#
# train() is the loop of the book's ch04/train_neuralnet.py, as in
# python/train.py: the weights from rng(seed), the minibatches from
# rng(seed + 1), integers(train_size, batch_size) per iteration; row i of
# metrics.csv is the minibatch loss after update i; evaluation when
# i %% eval_every == 0 (i from 0). The run's files, --resume and the stop
# on divergence are in r/suite/run_files.R, the set-up and summary.json in
# the suite's train_setup.R.

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
