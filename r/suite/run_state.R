# A training run on disk (docs/robust_training.md): the --out guard,
# run.json, the checkpoint state. Mirrors python/suite/run_state.py, same names.
# Every file goes through a temporary file and a rename (write_atomic), so a
# kill leaves each one absent, old or new, never partial; checkpoint.bin is
# the truth, metrics.csv and epochs.csv are rebuilt from it.

#' The files of a run directory
#'
#' @return Character vector, in the order the refusal lists them.
run_files <- function() {
  c("run.json", "metrics.csv", "epochs.csv", "summary.json", "checkpoint.bin",
    "curves.png")
}

#' The training state's arrays after the weights, in checkpoint order
#'
#' @return Character vector.
state_keys <- function() {
  c("iterations_done", "batch_rng", "losses", "evals")
}

#' The files of run_files() that out holds
#'
#' @param out Directory.
#' @return Character vector.
earlier_run_files <- function(out) {
  files <- run_files()
  files[file.exists(file.path(out, files))]
}

#' The earlier run's files in out; without force, refuse if there are any
#'
#' @param out Output directory.
#' @param force Whether the caller will overwrite them (--force).
#' @return The files found (to delete with clear_run_files(), with force).
guard_out_dir <- function(out, force) {
  found <- earlier_run_files(out)
  if (length(found) > 0L && !force) {
    dlfs_abort("output_exists_error", sprintf(
      paste("%s holds an earlier run (%s); pass --force to overwrite it or",
            "--resume %s to continue it"),
      out, paste(found, collapse = " "), out
    ))
  }
  found
}

#' Delete the run files in out (for --force); summary.json first, run.json
#' last
#'
#' @param out Directory.
#' @return NULL, invisibly.
clear_run_files <- function(out) {
  unlink(file.path(out, c("summary.json", "curves.png", "checkpoint.bin",
                          "epochs.csv", "metrics.csv", "run.json")))
  invisible(NULL)
}

#' Delete the temporary files (.NAME.XXXX.tmp) an interrupted write left
#'
#' @param out Directory.
#' @return Their names, sorted (invisibly).
remove_stale_tmp <- function(out) {
  stale <- sort(list.files(out, pattern = "^\\..*\\.tmp$", all.files = TRUE))
  stale <- stale[!dir.exists(file.path(out, stale))]
  # Only the run's own temporaries (.NAME.XXXX.tmp, NAME a run file).
  prefixes <- paste0(".", run_files(), ".")
  ours <- vapply(stale, function(f) any(startsWith(f, prefixes)), logical(1L))
  stale <- stale[ours]
  unlink(file.path(out, stale))
  invisible(stale)
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

#' A list as indented JSON text (doubles exact, NULL as null), newline ended
#'
#' @param x Named list.
#' @return Character string.
json_text <- function(x) {
  json <- jsonlite::toJSON(exact_json(x), auto_unbox = TRUE, pretty = TRUE,
                           null = "null", na = "null", json_verbatim = TRUE)
  paste0(json, "\n")
}

#' run.json: the language, every flag (resolved), the data files' SHA-256
#'
#' @param out Run directory.
#' @param language "R".
#' @param flags Named list of flags.
#' @param data_files Named list: train_images, ... -> SHA-256 hex digest.
#' @return NULL, invisibly.
write_run_json <- function(out, language, flags, data_files) {
  body <- list(language = language, flags = flags, data_files = data_files)
  write_atomic(file.path(out, "run.json"), json_text(body))
  invisible(NULL)
}

#' run.json of a run directory, checked for its three parts
#'
#' @param out Run directory.
#' @return list(language, flags, data_files).
read_run_json <- function(out) {
  path <- file.path(out, "run.json")
  if (!file.exists(path)) {
    checkpoint_error(path, "not found; %s is not a training run directory",
                     out)
  }
  body <- tryCatch(
    jsonlite::fromJSON(path, simplifyVector = FALSE),
    error = function(e) {
      checkpoint_error(path, "unreadable or not JSON (%s)",
                       conditionMessage(e))
    }
  )
  if (!is.list(body) || !is.list(body$flags) || !is.list(body$data_files) ||
        is.null(names(body$flags))) {
    checkpoint_error(path, paste("expected an object with 'language',",
                                 "'flags' and 'data_files'"))
  }
  body
}

#' Refuse data files whose SHA-256 differs from the one run.json recorded
#'
#' @param recorded run.json's data_files.
#' @param files The dataset's files (load_dataset()$files).
#' @param run_json run.json's path, for the message.
#' @return NULL, invisibly.
check_data_files <- function(recorded, files, run_json) {
  for (key in names(files)) {
    want <- recorded[[key]]
    got <- files[[key]]$sha256
    if (!identical(want, got)) {
      dlfs_abort("data_file_error", sprintf(
        "%s: SHA-256 %s differs from the %s recorded in %s; %s",
        files[[key]]$path, got, format(want), run_json,
        "the data changed since the run"
      ))
    }
  }
  invisible(NULL)
}

#' A training state: where a run stands after iterations 0..n-1
#'
#' @param params The weights after update n-1 (W1, b1, W2, b2).
#' @param iterations_done n.
#' @param batch_rng The minibatch generator's s1 and s2 after the draws of
#'   iterations 0..n-1 (six whole doubles).
#' @param losses The minibatch losses of iterations 0..n-1.
#' @param evals Matrix of rows (epoch, iter, train_acc, test_acc), one per
#'   evaluation iteration < n.
#' @return A named list with these five elements.
train_state <- function(params, iterations_done, batch_rng, losses, evals) {
  list(params = params, iterations_done = iterations_done,
       batch_rng = batch_rng, losses = losses, evals = evals)
}

#' The checkpoint arrays: W1 b1 W2 b2 iterations_done [1] batch_rng [6]
#' losses [n] evals [k, 4]
#'
#' @param state From train_state().
#' @return Named list of doubles for encode_checkpoint().
encode_state <- function(state) {
  evals <- state$evals
  storage.mode(evals) <- "double"
  dimnames(evals) <- NULL
  c(state$params[param_keys],
    list(iterations_done = as.double(state$iterations_done),
         batch_rng = as.double(state$batch_rng),
         losses = as.double(state$losses),
         evals = matrix(evals, ncol = 4L)))
}

#' Are all values whole numbers in lo..hi?
#'
#' @param values Double vector.
#' @param lo,hi Inclusive limits.
#' @return TRUE or FALSE.
whole <- function(values, lo, hi) {
  all(is.finite(values) & values == floor(values) & values >= lo &
        values <= hi)
}

#' Is x a plain vector (no dim) of length n?
#'
#' @param x Array from decode_checkpoint().
#' @param n Length wanted.
#' @return TRUE or FALSE.
is_flat <- function(x, n) is.null(dim(x)) && length(x) == n

#' Are these six doubles a generator's state: s1 below m1, s2 below m2,
#' neither all zero?
#'
#' @param words Candidate batch_rng.
#' @return TRUE or FALSE.
valid_words <- function(words) {
  is_flat(words, 6L) && whole(words[1:3], 0, m1 - 1) &&
    whole(words[4:6], 0, m2 - 1) && any(words[1:3] > 0) &&
    any(words[4:6] > 0)
}

#' A training state from checkpoint arrays, each state array checked
#'
#' @param arrays Named list from decode_checkpoint().
#' @param source Name for error messages.
#' @return From train_state().
decode_state <- function(arrays, source) {
  missing <- setdiff(c(param_keys, state_keys()), names(arrays))
  if (length(missing) > 0L) {
    checkpoint_error(source, paste(
      "holds no training state (missing %s); only a checkpoint written by a",
      "training run can be resumed"
    ), paste(missing, collapse = " "))
  }
  done <- arrays$iterations_done
  if (!is_flat(done, 1L) || !whole(done, 0, 2^53)) {
    checkpoint_error(source, "iterations_done must be one integer >= 0, got %s",
                     toString(done))
  }
  if (!valid_words(arrays$batch_rng)) {
    checkpoint_error(source, "batch_rng must be 6 generator words, got %s",
                     toString(arrays$batch_rng))
  }
  if (!is_flat(arrays$losses, done)) {
    checkpoint_error(source, paste(
      "losses must have iterations_done = %.0f values, got shape (%s)"
    ), done, toString(shape_of(arrays$losses)))
  }
  evals <- arrays$evals
  if (!is.matrix(evals) || ncol(evals) != 4L ||
        !whole(evals[, 1:2], 0, 2^53)) {
    checkpoint_error(source, paste(
      "evals must be rows (epoch, iter, train_acc, test_acc), got shape (%s)"
    ), toString(shape_of(evals)))
  }
  train_state(arrays[param_keys], done, arrays$batch_rng, arrays$losses,
              evals)
}

#' metrics.csv: the loss of each iteration, 17 significant digits
#'
#' @param losses Double vector.
#' @return Character string.
metrics_csv <- function(losses) {
  paste0("iter,loss\n",
         paste0(sprintf("%d,%.17g\n", seq_along(losses) - 1L, losses),
                collapse = ""))
}

#' epochs.csv: one row per evaluation
#'
#' @param evals Matrix of rows (epoch, iter, train_acc, test_acc).
#' @return Character string.
epochs_csv <- function(evals) {
  paste0("epoch,iter,train_acc,test_acc\n",
         paste0(sprintf("%.0f,%.0f,%.17g,%.17g\n", evals[, 1L], evals[, 2L],
                        evals[, 3L], evals[, 4L]), collapse = ""))
}

#' metrics.csv, epochs.csv, then checkpoint.bin, each atomically
#'
#' The checkpoint lands last, so it never runs ahead of the tables.
#'
#' @param out Run directory.
#' @param state From train_state().
#' @return NULL, invisibly.
write_progress <- function(out, state) {
  write_atomic(file.path(out, "metrics.csv"), metrics_csv(state$losses))
  write_atomic(file.path(out, "epochs.csv"), epochs_csv(state$evals))
  save_checkpoint(file.path(out, "checkpoint.bin"), encode_state(state))
}

#' The training state in out/checkpoint.bin
#'
#' @param out Run directory.
#' @return From train_state().
load_state <- function(out) {
  path <- file.path(out, "checkpoint.bin")
  if (!file.exists(path)) {
    checkpoint_error(path, paste("cannot read (file not found); nothing to",
                                 "resume, start again with --force"))
  }
  decode_state(load_checkpoint(path), path)
}

#' Refuse a state that does not belong to a run with these flags and shapes
#'
#' @param state From train_state().
#' @param flags The run's flags (iters, eval_every).
#' @param shapes The net's weight shapes (net$shapes).
#' @param source Name for error messages.
#' @return NULL, invisibly.
check_state_fits <- function(state, flags, shapes, source) {
  for (key in param_keys) {
    value <- state$params[[key]]
    if (!has_shape(value, shapes[[key]])) {
      checkpoint_error(source, "%s has shape (%s), the run's net needs (%s)",
                       key, toString(shape_of(value)),
                       toString(shapes[[key]]))
    }
  }
  n <- state$iterations_done
  if (n > flags$iters) {
    checkpoint_error(source, paste(
      "iterations_done %.0f exceeds the run's --iters %d"
    ), n, flags$iters)
  }
  every <- flags$eval_every
  expected <- if (n > 0) seq(0, n - 1, by = every) else numeric(0)
  if (!identical(as.vector(state$evals[, 2L]), expected) ||
        !identical(as.vector(state$evals[, 1L]), expected %/% every)) {
    checkpoint_error(source, paste(
      "evals do not list the evaluations before iteration %.0f (every %d)"
    ), n, flags$eval_every)
  }
  if (!all(is.finite(state$losses))) {
    checkpoint_error(source, "losses hold a non-finite value")
  }
  invisible(NULL)
}

#' Minibatch indices drawn `block` iterations at a time, and the generator
#' state after any iteration of the current block
#'
#' integers(n, k * b) is integers(n, b) k times over, concatenated, so the
#' state after the draws of iterations 0..n-1 is the state at the start of
#' n's block advanced by the rows drawn since. Blocks end at multiples of
#' block whatever the first iteration, so a resumed run draws the same.
#'
#' @param state The generator's words, s1 then s2.
#' @param high Number of training images.
#' @param batch_size Rows per iteration.
#' @param iters Iterations of the run.
#' @param block Iterations per draw.
#' @return list(batch = function(i): 1-based indices of iteration i (called
#'   for i in increasing order), state_after = function(n)).
batch_stream <- function(state, high, batch_size, iters, block) {
  gen <- rng_from_state(state[1:3], state[4:6])
  drawn <- new.env(parent = emptyenv())
  drawn$first <- -1
  drawn$count <- 0
  list(
    batch = function(i) {
      if (i >= drawn$first + drawn$count) {
        drawn$count <- min(block - i %% block, iters - i)
        drawn$first <- i
        drawn$before <- c(gen$s1, gen$s2)
        drawn$rows <- matrix(integers(gen, high, drawn$count * batch_size) +
                               1L, nrow = batch_size)
      }
      drawn$rows[, i - drawn$first + 1L]
    },
    state_after = function(n) {
      if (n < drawn$first || n >= drawn$first + drawn$count) {
        # n is where the next block starts: nothing of it drawn yet.
        return(c(gen$s1, gen$s2))
      }
      words <- drawn$before
      advanced <- rng_from_state(words[1:3], words[4:6])
      next_counts(advanced, (n - drawn$first) * batch_size)
      c(advanced$s1, advanced$s2)
    }
  )
}
