# A training run's directory (docs/robust_training.md): the --out guard,
# run.json, the progress files, the run (a value here, Python's Run class).
# Mirrors python/suite/run_files.py. Every file is written to a temporary
# and renamed (write_atomic): a kill leaves it absent, old or new, never
# partial; checkpoint.bin is the truth the CSV files are rebuilt from.

run_files <- c("run.json", "metrics.csv", "epochs.csv", "summary.json",
               "checkpoint.bin", "curves.png")

#' The earlier run's files in out (to delete, with force); without force,
#' refuse if there are any
#'
#' @param out,force Output directory, --force.
guard_out_dir <- function(out, force) {
  found <- run_files[file.exists(file.path(out, run_files))]
  if (length(found) > 0L && !force) {
    dlfs_abort("output_exists_error", sprintf(
      paste("%s holds an earlier run (%s); pass --force to overwrite it or",
            "--resume %s to continue it"),
      out, paste(found, collapse = " "), out
    ))
  }
  found
}

#' Delete the run files in out (--force): summary.json first, run.json last
#'
#' @param out Directory.
clear_run_files <- function(out) {
  unlink(file.path(out, c("summary.json", "curves.png", "checkpoint.bin",
                          "epochs.csv", "metrics.csv", "run.json")))
}

#' Delete the temporaries (.NAME.XXXX.tmp, NAME a run file) a kill left
#'
#' @param out Directory.
#' @return Their names, sorted (invisibly).
remove_stale_tmp <- function(out) {
  stale <- sort(list.files(out, pattern = "^\\..*\\.tmp$", all.files = TRUE))
  ours <- vapply(stale, function(f) {
    any(startsWith(f, paste0(".", run_files, ".")))
  }, logical(1L))
  stale <- stale[ours & !dir.exists(file.path(out, stale))]
  unlink(file.path(out, stale))
  invisible(stale)
}

# A list as indented JSON text, newline ended: doubles with the digits
# that round-trip (jsonlite keeps 15), NULL as null.
json_text <- function(x) {
  exact <- function(x) {
    if (is.list(x)) return(lapply(x, exact))
    if (!is.double(x) || length(x) != 1L || !is.finite(x)) return(x)
    digits <- 15L
    while (as.numeric(sprintf("%.*g", digits, x)) != x) digits <- digits + 1L
    structure(sprintf("%.*g", digits, x), class = "json")
  }
  paste0(jsonlite::toJSON(exact(x), auto_unbox = TRUE, pretty = TRUE,
                          null = "null", na = "null", json_verbatim = TRUE),
         "\n")
}

#' run.json of a run directory out: list(language, flags, data_files)
#'
#' @param out Run directory.
read_run_json <- function(out) {
  path <- file.path(out, "run.json")
  if (!file.exists(path)) {
    checkpoint_error(path, "not found; %s is not a training run directory",
                     out)
  }
  body <- tryCatch(jsonlite::fromJSON(path, simplifyVector = FALSE),
                   error = function(e) {
                     checkpoint_error(path, "unreadable or not JSON (%s)",
                                      conditionMessage(e))
                   })
  if (!is.list(body) || !is.list(body$flags) || !is.list(body$data_files) ||
        is.null(names(body$flags))) {
    checkpoint_error(path, paste("expected an object with 'language',",
                                 "'flags' and 'data_files'"))
  }
  body
}

#' Make out, remove stale temporaries and (--force) the earlier run's
#' files; write run.json: the language, the flags, the data's SHA-256
#'
#' @param out Run directory.
#' @param flags,data_files Named lists: the flags (resolved); train_images,
#'   ... -> SHA-256.
start_out_dir <- function(out, flags, data_files) {
  # R says why a directory cannot be made in a warning: main() ends the
  # error's line with it.
  if (!dir.exists(out)) dir.create(out, recursive = TRUE)
  if (!dir.exists(out) || file.access(out, 2L) != 0L) {
    input_abort("--out %s: cannot create or write this directory", out)
  }
  remove_stale_tmp(out)
  clear_run_files(out)
  body <- list(language = "R", flags = flags, data_files = data_files)
  write_atomic(file.path(out, "run.json"), json_text(body))
}

#' Refuse data files (load_dataset()$files) whose SHA-256 differs from the
#' one run.json (path run_json) recorded
#'
#' @param recorded,files,run_json As above.
check_data_files <- function(recorded, files, run_json) {
  for (key in names(files)) {
    if (!identical(recorded[[key]], files[[key]]$sha256)) {
      dlfs_abort("data_file_error", sprintf(
        "%s: SHA-256 %s differs from the %s recorded in %s; %s",
        files[[key]]$path, files[[key]]$sha256, format(recorded[[key]]),
        run_json, "the data changed since the run"
      ))
    }
  }
}

#' Write metrics.csv, epochs.csv, then checkpoint.bin (last: it is the
#' truth) of a train_state(), each atomically; an interrupt waits for all
#'
#' @param out,state Run directory, state.
write_progress <- function(out, state) {
  e <- state$evals
  i <- seq_along(state$losses) - 1L
  metrics <- c("iter,loss\n", sprintf("%d,%.17g\n", i, state$losses))
  epochs <- c("epoch,iter,train_acc,test_acc\n", sprintf(
    "%.0f,%.0f,%.17g,%.17g\n", e[, 1L], e[, 2L], e[, 3L], e[, 4L]
  ))
  suspendInterrupts({
    write_atomic(file.path(out, "metrics.csv"), paste(metrics, collapse = ""))
    write_atomic(file.path(out, "epochs.csv"), paste(epochs, collapse = ""))
    write_checkpoint(file.path(out, "checkpoint.bin"), encode_state(state))
  })
}

#' A run going on from state in out, checkpoint written (resumed: the CSV
#' files rebuilt)
#'
#' @param out Run directory.
#' @param state From train_state().
#' @param progress A progress_display(): shows each loss.
#' @return The run: out, iterations_done, losses, evals, progress, and the
#'   last checkpoint's iterations_done (checkpoint) and weights (params).
start_run <- function(out, state, progress) {
  run <- list(out = out, iterations_done = state$iterations_done,
              losses = state$losses, evals = state$evals, progress = progress)
  save_checkpoint(run, state$params, state$batch_rng)
}

#' Keep the loss of iteration i; a non-finite one writes the state before
#' i, then signals dlfs_diverged_error (fields iteration, loss, run)
#'
#' @param run From start_run().
#' @param i The iteration (from 0).
#' @param loss Its minibatch loss, after the update.
#' @param params_before,rng_before The weights and the minibatch
#'   generator's words before iteration i.
#' @return run.
record_loss <- function(run, i, loss, params_before, rng_before) {
  if (!is.finite(loss)) {
    if (run$checkpoint != i) { # the state before i (iterations_done is i)
      save_checkpoint(run, params_before, rng_before)
    }
    dlfs_abort("diverged_error", sprintf(
      paste("training diverged at iteration %d: minibatch loss %s; the last",
            "good state (iteration %d) is in %s"),
      i, tolower(format(loss)), i, run$out
    ), iteration = as.integer(i), loss = loss, run = run)
  }
  run$losses[i + 1L] <- loss
  run$iterations_done <- i + 1
  run$progress$update(i + 1L, loss)
  run
}

#' Keep the accuracies after update i
#'
#' @param run,epoch,i,train_acc,test_acc The run and the evaluation.
#' @return run.
record_eval <- function(run, epoch, i, train_acc, test_acc) {
  run$evals <- rbind(run$evals, c(epoch, i, train_acc, test_acc),
                     deparse.level = 0L)
  run
}

#' Write the state after the iterations done, with these weights and
#' minibatch generator words (s1, s2)
#'
#' @param run From start_run().
#' @param params,batch_rng The weights and the generator's words.
#' @return run, its checkpoint updated.
save_checkpoint <- function(run, params, batch_rng) {
  write_progress(run$out, train_state(params, run$iterations_done, batch_rng,
                                      run$losses, run$evals))
  run$checkpoint <- run$iterations_done
  run$params <- params
  run
}

#' The one line printed on ^C: the last checkpoint on disk, how to resume
#'
#' @param out Run directory, or NULL if not known yet.
interrupted <- function(out) {
  n <- if (!is.null(out)) {
    tryCatch(load_state(out)$iterations_done, dlfs_error = function(e) NULL)
  }
  if (is.null(n)) {
    return("interrupted before the first checkpoint; nothing to resume")
  }
  sprintf(paste("interrupted; last checkpoint at iteration %.0f in %s;",
                "continue with: Rscript r/train.R --resume %s"), n, out, out)
}
