#!/usr/bin/env Rscript
# Train the book's TwoLayerNet on (Fashion-)MNIST: Rscript r/train.R --help
#
# Same flags, same numbers as python -m python.train (see python/train.py for
# the experiment): weights from rng(seed), minibatches from rng(seed + 1)
# drawing integers(train_size, batch_size) per iteration (+ 1L to index);
# metrics.csv row i is the minibatch loss after the update of iteration i
# (the book's order); evaluation when i %% eval_every == 0, i from 0.
#
# The run's directory, exit statuses, checkpoints, --resume and divergence
# follow docs/robust_training.md (the files: r/suite/run_state.R).
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
# Polls (about a millisecond each) between checks that the other process of
# an evaluator pair is still there.
alive_every <- 100L

# x, or default when x is NULL (base R's %||% arrived in R 4.4).
or_default <- function(x, default) if (is.null(x)) default else x

#' The flags: type, default and help of each, in python/train.py's order
#'
#' Types: "int" (a whole number), "real", "path" (text), "switch" (no
#' value), or the allowed values of a choice.
#'
#' @return Named list of list(type, default, help).
flag_table <- function() {
  f <- function(type, default, help) {
    list(type = type, default = default, help = help)
  }
  list(
    iters = f("int", 10000L, "SGD iterations [10000]"),
    batch_size = f("int", 100L, "minibatch size [100]"),
    lr = f("real", 0.1, "learning rate [0.1]"),
    hidden = f("int", 50L, "hidden units [50]"),
    weight_init_std = f("real", 0.01, "initial weight scale [0.01]"),
    seed = f("int", 0L, "weights from rng(seed), batches from rng(seed+1) [0]"),
    grad = f(c("backprop", "numerical"), "backprop",
             "backprop or numerical [backprop]"),
    eval_every = f("int", NULL, paste(
      "evaluate when iteration % N == 0",
      "[one epoch: max(1, train_size %/% batch_size)]"
    )),
    dataset = f(c("fashion-mnist", "mnist"), "fashion-mnist",
                "fashion-mnist or mnist [fashion-mnist]"),
    data_dir = f("path", NULL, "directory of the four IDX files (.gz or not)"),
    download = f("switch", FALSE, "fetch missing MNIST files (checksummed)"),
    out = f("path", NULL, "output directory [runs/<timestamp>-r-seed<N>]"),
    train_limit = f("int", NULL, "use only the first N training images"),
    checkpoint_in = f("path", NULL,
                      "start from these weights instead of random ones"),
    quiet = f("switch", FALSE, "no progress bar or progress lines"),
    force = f("switch", FALSE, "delete an earlier run in --out first"),
    resume = f("path", NULL, paste(
      "continue the run in this directory from its checkpoint, with the",
      "flags in its run.json (only --quiet may be given besides)"
    ))
  )
}

#' A flag's command-line spelling
#'
#' @param name Its name in flag_table().
#' @return "--batch-size" for batch_size.
flag_name <- function(name) paste0("--", gsub("_", "-", name))

#' The --help text's parser (optparse), listing the flags of flag_table()
#'
#' @return An optparse OptionParser.
train_parser <- function() {
  table <- flag_table()
  options <- lapply(names(table), function(name) {
    spec <- table[[name]]
    if (identical(spec$type, "switch")) {
      optparse::make_option(flag_name(name), action = "store_true",
                            default = FALSE, help = spec$help)
    } else {
      optparse::make_option(flag_name(name), type = "character",
                            help = spec$help)
    }
  })
  optparse::OptionParser(
    usage = "Rscript r/train.R [options]",
    description = "Train the book's TwoLayerNet on (Fashion-)MNIST.",
    option_list = options
  )
}

#' Signal a bad flag (exit status 2)
#'
#' @param ... sprintf() format and arguments.
flag_error <- function(...) dlfs_abort("input_error", sprintf(...))

#' A number in Python's int() syntax, or NULL
#'
#' @param text Text.
#' @return Integer or NULL (also beyond R's integers).
parse_int <- function(text) {
  if (!grepl("^[+-]?[0-9]+$", text)) return(NULL)
  value <- as.numeric(text)
  if (abs(value) > .Machine$integer.max) NULL else as.integer(value)
}

#' A number in Python's float() syntax (inf, nan included), or NULL
#'
#' @param text Text.
#' @return Double or NULL.
parse_float <- function(text) {
  word <- tolower(text)
  number <- paste0("^[+-]?(([0-9]+[.]?[0-9]*|[.][0-9]+)([e][+-]?[0-9]+)?",
                   "|inf|infinity|nan)$")
  if (!grepl(number, word)) return(NULL)
  magnitude <- sub("^[+-]", "", word)
  sign <- if (startsWith(word, "-")) -1 else 1
  switch(magnitude, nan = NaN, inf = , infinity = sign * Inf,
         as.numeric(word))
}

#' A flag's text converted to its type, or a flag error
#'
#' Numbers follow Python's int() and float() syntax and the messages
#' argparse's, so both CLIs accept and refuse the same command lines alike.
#'
#' @param name The flag's name.
#' @param text The value given.
#' @param type Its type in flag_table().
#' @return The value: integer, double or character.
flag_value <- function(name, text, type) {
  kind <- c(int = "int", real = "float")[type]
  if (length(type) == 1L && !is.na(kind)) {
    parse <- if (type == "int") parse_int else parse_float
    value <- parse(trimws(text))
    if (is.null(value)) {
      flag_error("argument %s: invalid %s value: '%s'", flag_name(name),
                 kind, text)
    }
    return(value)
  }
  if (length(type) > 1L && !text %in% type) {
    flag_error("argument %s: invalid choice: '%s' (choose from %s)",
               flag_name(name), text,
               paste0("'", type, "'", collapse = ", "))
  }
  text
}

#' The value of a flag given as args[i - 1] (key, or key=inline)
#'
#' @param args Command-line arguments.
#' @param i Index of the argument after the flag.
#' @param key The flag as given.
#' @param inline Its "=value" part, or NULL.
#' @param switch_flag Whether the flag takes no value.
#' @return list(value, next = index of the next argument to parse).
flag_argument <- function(args, i, key, inline, switch_flag) {
  if (switch_flag) {
    if (!is.null(inline)) {
      flag_error("argument %s: ignored explicit argument '%s'", key, inline)
    }
    return(list(value = TRUE, next_i = i))
  }
  if (!is.null(inline)) return(list(value = inline, next_i = i))
  # The next argument, unless it looks like a flag (and not a number).
  if (i > length(args) || !grepl("^([^-]|-[0-9.]|$)", args[[i]])) {
    flag_error("argument %s: expected one argument", key)
  }
  list(value = args[[i]], next_i = i + 1L)
}

#' The flags given on the command line, as text (TRUE for switches)
#'
#' Parsed as argparse does: "--flag value" or "--flag=value", a value may be
#' a negative number, anything else is an unrecognized argument.
#'
#' @param args Command-line arguments.
#' @return Named list; flags not given are absent. list(help = TRUE) for
#'   -h or --help.
given_flags <- function(args) {
  table <- flag_table()
  spellings <- flag_name(names(table))
  given <- list()
  unknown <- character()
  i <- 1L
  while (i <= length(args)) {
    arg <- args[[i]]
    if (arg %in% c("-h", "--help")) return(list(help = TRUE))
    key <- sub("=.*$", "", arg)
    name <- names(table)[match(key, spellings)]
    if (is.na(name)) {
      unknown <- c(unknown, arg)
      i <- i + 1L
      next
    }
    inline <- if (grepl("=", arg, fixed = TRUE)) sub("^[^=]*=", "", arg)
    got <- flag_argument(args, i + 1L, key, inline,
                         identical(table[[name]]$type, "switch"))
    given[[name]] <- got$value
    i <- got$next_i
  }
  if (length(unknown) > 0L) {
    flag_error("unrecognized arguments: %s", paste(unknown, collapse = " "))
  }
  given
}

#' A double as Python prints a float (0.0, 1e-05, nan, inf), for messages
#'
#' @param x A number.
#' @return Character string.
py_float <- function(x) {
  if (is.nan(x)) return("nan")
  if (is.infinite(x)) return(if (x > 0) "inf" else "-inf")
  if (x == round(x) && abs(x) < 1e16) return(sprintf("%.1f", x))
  unclass(exact_json(as.double(x)))
}

#' The first count flag that is not at least 1, as a message, or NULL
#'
#' @param opt Named list of every flag (NULL where not set).
#' @return A message or NULL.
count_problem <- function(opt) {
  for (name in c("iters", "batch_size", "hidden", "eval_every",
                 "train_limit")) {
    value <- opt[[name]]
    if (!is.null(value) && value < 1L) {
      return(sprintf("%s must be at least 1, got %s", flag_name(name), value))
    }
  }
  NULL
}

#' The first problem with a complete set of typed flags, or NULL
#'
#' @param opt Named list of every flag (NULL where not set).
#' @return A message or NULL.
flag_problem <- function(opt) {
  lr <- opt$lr
  std <- opt$weight_init_std
  problems <- c(
    count_problem(opt),
    if (!is.finite(lr) || lr <= 0) {
      sprintf("--lr must be a finite number > 0, got %s", py_float(lr))
    },
    if (!is.finite(std) || std < 0) {
      sprintf("--weight-init-std must be a finite number >= 0, got %s",
              py_float(std))
    },
    if (opt$seed < 0L || opt$seed >= max_seed) {
      sprintf("--seed must be in 0..%.0f, got %d", max_seed - 1, opt$seed)
    },
    if (opt$download && opt$dataset != "mnist") {
      "--download is only available with --dataset mnist"
    }
  )
  if (length(problems) > 0L) problems[[1L]]
}

#' Parse and check the command line
#'
#' @param args Character vector of arguments.
#' @return Named list of every flag of flag_table(), typed, defaults filled
#'   in; with --resume only resume and quiet are set (the rest comes from
#'   the run's run.json); list(help = TRUE) for --help.
parse_train_args <- function(args) {
  given <- given_flags(args)
  if (isTRUE(given$help)) return(given)
  table <- flag_table()
  if (!is.null(given$resume)) {
    extra <- setdiff(names(given), c("resume", "quiet"))
    if (length(extra) > 0L) {
      flag_error(paste("--resume takes every flag from DIR/run.json; only",
                       "--quiet may be given with it, got %s"),
                 paste(flag_name(sort(extra)), collapse = " "))
    }
    return(list(resume = given$resume, quiet = isTRUE(given$quiet)))
  }
  opt <- lapply(stats::setNames(nm = names(table)), function(name) {
    text <- given[[name]]
    if (is.null(text)) return(table[[name]]$default)
    if (isTRUE(text)) return(TRUE)
    flag_value(name, text, table[[name]]$type)
  })
  problem <- flag_problem(opt)
  if (!is.null(problem)) flag_error("%s", problem)
  opt
}

#' A command line giving these flags (run.json's), so that a resume checks
#' them as a fresh run would
#'
#' @param flags run.json's flags (parsed JSON).
#' @return Character vector, or NULL if a value is not a single scalar.
flags_argv <- function(flags) {
  argv <- character()
  for (name in setdiff(names(flag_table()), c("resume", "quiet"))) {
    value <- flags[[name]]
    if (is.null(value) || isFALSE(value)) next
    text <- flag_text(value)
    if (is.null(text)) return(NULL)
    argv <- c(argv, flag_name(name), if (!isTRUE(value)) text)
  }
  argv
}

#' A flag value as command-line text; doubles with every digit, so that
#' they come back exact
#'
#' @param value A value from run.json.
#' @return Character string, or NULL if value is not a single scalar.
flag_text <- function(value) {
  if (!is.atomic(value) || length(value) != 1L || is.na(value)) return(NULL)
  if (is.double(value)) unclass(exact_json(value)) else as.character(value)
}

#' The flags recorded in run.json, typed and checked as on a command line
#'
#' @param flags run.json's flags (parsed JSON).
#' @param path run.json's path, for messages.
#' @return Named list as parse_train_args() gives.
recorded_flags <- function(flags, path) {
  argv <- flags_argv(flags)
  opt <- if (is.null(argv)) {
    list(error = "a flag is not a single value")
  } else {
    tryCatch(parse_train_args(argv), dlfs_input_error = function(e) {
      list(error = conditionMessage(e))
    })
  }
  if (!is.null(opt$error)) {
    checkpoint_error(path, "bad flags (%s)", opt$error)
  }
  if (is.null(opt$eval_every) || is.null(opt$data_dir)) {
    checkpoint_error(path, "flags eval_every and data_dir must be resolved")
  }
  opt
}

#' Language, library and BLAS versions
#'
#' @return Named list.
r_versions <- function() {
  list(language = "R", R = paste(R.version$major, R.version$minor, sep = "."),
       blas = extSoftVersion()[["BLAS"]], lapack = La_library(),
       platform = R.version$platform)
}

#' The most probable class of each row (first on ties), 0-based
#'
#' np.argmax's rule, NaN included: a row holding NaN (weights gone
#' non-finite) answers its first NaN's class, where max.col would give NA.
#'
#' @param y Matrix of probabilities, one row per sample.
#' @return Integer vector.
predicted_classes <- function(y) {
  classes <- max.col(y, ties.method = "first")
  bad <- which(is.na(classes))
  if (length(bad) > 0L) {
    classes[bad] <- max.col(is.na(y[bad, , drop = FALSE]) + 0,
                            ties.method = "first")
  }
  classes - 1L
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
  if (to < from) return(correct)
  for (start in seq(from, to, by = eval_chunk)) {
    cols <- start:min(to, start + eval_chunk - 1L)
    # Weights whose predictions overflow count no row, as in Python.
    y <- tryCatch(forward(net, image_columns(images, cols), columns = TRUE),
                  dlfs_numerical_error = function(e) NULL)
    if (!is.null(y)) {
      correct <- correct + sum(predicted_classes(y) == labels[cols])
    }
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
#' complete. Each side, while it waits, checks that the other is still
#' there: a killed training process leaves no evaluator behind. Without
#' fork the counts are computed at once, here.
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
  parent <- Sys.getpid() # here: the child evaluates the call's arguments
  job <- parallel::mcparallel(serve_evaluations(net, data, dir, parent),
                              silent = TRUE)
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
#' @param alive Function called every alive_every polls while waiting; if
#'   it answers FALSE, the wait ends with NULL.
#' @return The value, or NULL.
take_file <- function(path, wait, alive = function() TRUE) {
  polls <- 0L
  while (!file.exists(path)) {
    if (!wait) return(NULL)
    polls <- polls + 1L
    if (polls %% alive_every == 0L && !alive()) return(NULL)
    Sys.sleep(0.001)
  }
  value <- readRDS(path)
  unlink(path)
  value
}

#' Is the process that forked this one still its parent?
#'
#' When a parent dies its children pass to another process, so a changed
#' parent pid means it is gone (even before anyone reaps it).
#'
#' @param parent The parent's pid, read before the fork.
#' @return TRUE or FALSE.
parent_alive <- function(parent) {
  status <- "/proc/self/status"
  if (!file.exists(status)) return(tools::pskill(parent, 0L))
  line <- grep("^PPid:", readLines(status, warn = FALSE), value = TRUE)
  identical(as.integer(sub("^PPid:\\s*", "", line)), as.integer(parent))
}

#' The evaluator's loop: answer request k with correct_counts()
#'
#' Ends after a request without weights, or when the training process is
#' gone (exit_orphan()). Interrupts are ignored (despite_interrupts()).
#'
#' @inheritParams start_evaluator
#' @param dir The evaluator's directory.
#' @param parent The training process's pid.
#' @return NULL.
serve_evaluations <- function(net, data, dir, parent) {
  k <- 0L
  repeat {
    k <- k + 1L
    request <- despite_interrupts(function() {
      take_file(file.path(dir, paste0("request-", k)), wait = TRUE,
                alive = function() parent_alive(parent))
    })
    if (is.null(request)) exit_orphan(dir)
    if (is.null(request$params)) return(invisible(NULL))
    net$params <- request$params
    counts <- despite_interrupts(function() {
      tryCatch(
        correct_counts(net, data, request$from, request$to, request$test),
        error = function(e) list(error = conditionMessage(e))
      )
    })
    put_file(counts, file.path(dir, paste0("answer-", k)))
  }
}

#' End the evaluator whose training process is gone
#'
#' Removes the evaluator's directory and, if nothing else is left in it, the
#' dead process's session directory, then kills itself: a forked R child
#' that returns waits for its parent's word before it exits, forever once
#' the parent is dead.
#'
#' @param dir The evaluator's directory.
#' @return Does not return.
exit_orphan <- function(dir) {
  unlink(dir, recursive = TRUE)
  session <- tempdir()
  if (length(list.files(session, all.files = TRUE, no.. = TRUE)) == 0L) {
    unlink(session, recursive = TRUE)
  }
  tools::pskill(Sys.getpid(), tools::SIGKILL)
}

#' f(), run again after each interrupt until it returns
#'
#' For the evaluator: a ^C at the terminal reaches it too, but the training
#' process decides (it stops the evaluator after writing what it must).
#'
#' @param f Function of no arguments.
#' @return f()'s value.
despite_interrupts <- function(f) {
  repeat {
    done <- tryCatch(list(value = f()), interrupt = function(e) NULL)
    if (!is.null(done)) return(done$value)
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

#' Is the evaluator process still running?
#'
#' @param evaluator From start_evaluator() with a job.
#' @return TRUE or FALSE.
evaluator_alive <- function(evaluator) {
  is.null(parallel::mccollect(evaluator$job, wait = FALSE))
}

#' The counts of a pending evaluation, or NULL if not ready
#'
#' @param evaluator From start_evaluator().
#' @param pending From evaluate().
#' @param wait Wait for the answer.
#' @return c(train_correct, test_correct, seconds), or NULL.
evaluation_result <- function(evaluator, pending, wait) {
  if (!is.null(pending$counts)) return(pending$counts)
  path <- file.path(evaluator$dir, paste0("answer-", pending$k))
  counts <- take_file(path, wait, function() evaluator_alive(evaluator))
  if (wait && is.null(counts)) {
    stop("the evaluator process ended unexpectedly", call. = FALSE)
  }
  if (is.list(counts)) {
    stop("the evaluator failed: ", counts$error, call. = FALSE)
  }
  counts
}

#' Stop the evaluator process and remove its directory
#'
#' @param evaluator From start_evaluator().
#' @param requests Requests made so far.
#' @param finished TRUE after the last answer (the process then exits by
#'   itself); FALSE (an error or an interrupt) kills it.
#' @return NULL, invisibly.
stop_evaluator <- function(evaluator, requests, finished) {
  if (is.null(evaluator$job)) return(invisible(NULL))
  if (finished) {
    put_file(list(), file.path(evaluator$dir,
                               paste0("request-", requests + 1L)))
  } else {
    tools::pskill(evaluator$job$pid)
  }
  # A killed job delivers no result, which mccollect reports as a warning.
  suppressWarnings(parallel::mccollect(evaluator$job))
  unlink(evaluator$dir, recursive = TRUE)
  invisible(NULL)
}

#' Record the finished evaluations, oldest first, and print their lines
#'
#' @param state list(pending = evaluations not yet recorded, in order, each
#'   with its iteration i; evals = matrix of rows (epoch, iter, train_acc,
#'   test_acc); eval_seconds).
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
    state$evals[k, ] <- c(k - 1L, head$i, acc)
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

#' Evaluations at iterations below n (every eval_every from 0)
#'
#' @param n Iterations done.
#' @param eval_every Iterations per evaluation.
#' @return Their number.
evals_before <- function(n, eval_every) {
  if (n == 0) 0L else as.integer((n - 1) %/% eval_every + 1)
}

#' One SGD step on a batch: the updated net and its minibatch loss
#'
#' The batch is checked data, so only the weights (non-finite, or so large
#' that the outputs overflow) can make the net refuse it: then the loss is
#' NaN, as python/train.py has it (the gradient failing means the weights
#' after the previous update overflow on this batch: the net is unchanged).
#'
#' @param net A TwoLayerNet.
#' @param grad_fn From gradient_function().
#' @param x_cols The batch, one image per column.
#' @param t_batch Its labels.
#' @param lr Learning rate.
#' @return list(net, loss).
sgd_step <- function(net, grad_fn, x_cols, t_batch, lr) {
  overflow <- function(e) NULL
  grads <- tryCatch(grad_fn(net, x_cols, t_batch),
                    dlfs_numerical_error = overflow)
  if (is.null(grads)) return(list(net = net, loss = NaN))
  net$params <- sgd_update(net$params, grads, lr)
  loss <- tryCatch(loss_columns(net, x_cols, t_batch),
                   dlfs_numerical_error = overflow)
  list(net = net, loss = if (is.null(loss)) NaN else loss)
}

#' The gradient function of --grad, for a batch of one image per column
#'
#' @param grad "backprop" or "numerical".
#' @return function(net, xt, t).
gradient_function <- function(grad) {
  if (grad == "backprop") return(gradient_columns)
  function(net, xt, t) numerical_gradient(net, t(xt), t)
}

#' Write the state after iterations 0..n-1, all three files or none (an
#' interrupt waits for them)
#'
#' @param out Run directory.
#' @param n Iterations done.
#' @param params The weights after update n - 1.
#' @param rng_state The batch generator's state after the draws of
#'   iterations 0..n-1 (batch_stream()$state_after(n), taken at n).
#' @param losses The losses so far (at least n).
#' @param evals The evaluations' matrix (those before n recorded).
#' @param every eval_every.
#' @return NULL, invisibly.
save_state <- function(out, n, params, rng_state, losses, evals, every) {
  state <- train_state(params, n, rng_state, losses[seq_len(n)],
                       evals[seq_len(evals_before(n, every)), , drop = FALSE])
  suspendInterrupts(write_progress(out, state))
}

#' Write the latest due checkpoint whose evaluations are in, never waiting
#'
#' Waiting for the evaluator's previous evaluation at every checkpoint cost
#' about 20% of a full run.
#'
#' @param out Run directory.
#' @param due List of list(n, params, rng_state), oldest first.
#' @param losses,evals,every As save_state().
#' @return The checkpoints still due.
write_due <- function(out, due, losses, evals, every) {
  ready <- which(vapply(due, function(d) {
    nrow(evals) >= evals_before(d$n, every)
  }, logical(1L)))
  if (length(ready) == 0L) return(due)
  last <- due[[max(ready)]]
  save_state(out, last$n, last$params, last$rng_state, losses, evals, every)
  due[-seq_len(max(ready))]
}

#' Run the SGD loop from a training state, writing the state at every
#' multiple of eval_every and at the end
#'
#' At the first non-finite loss it writes the last good state and signals
#' dlfs_diverged_error, whose fields iteration, loss, losses, evals and the
#' timings give the partial result.
#'
#' @param opt Flags with eval_every resolved.
#' @param data Dataset from load_dataset().
#' @param net A TwoLayerNet holding the state's weights.
#' @param bar A progress_display().
#' @param state From train_state() (iterations_done 0 for a new run).
#' @param out Run directory.
#' @return list(net, losses, evals (matrix), final, timings).
train_loop <- function(opt, data, net, bar, state, out) {
  every <- opt$eval_every
  n0 <- state$iterations_done
  batches <- batch_stream(state$batch_rng, ncol(data$x_train), opt$batch_size,
                          opt$iters, draw_block)
  # Scaled once, for the batches and the evaluations (a fork shares it).
  data$x_train <- scale_images(data$x_train)
  grad_fn <- gradient_function(opt$grad)
  evaluator <- start_evaluator(net, data, fork_evaluations(data))
  finished <- FALSE
  requests <- 0L
  due <- list() # periodic checkpoints whose evaluations are still out
  on.exit(stop_evaluator(evaluator, requests, finished))
  losses <- numeric(opt$iters)
  losses[seq_len(n0)] <- state$losses
  n_evals <- evals_before(opt$iters, every)
  rec <- list(pending = list(), eval_seconds = 0,
              evals = matrix(0, n_evals, 4L))
  rec$evals[seq_len(nrow(state$evals)), ] <- state$evals
  start <- proc.time()[["elapsed"]]
  for (i in seq(n0, length.out = opt$iters - n0)) {
    idx <- batches$batch(i)
    # The batch one image per column, as stored: no transpose (forward()).
    x_cols <- image_columns(data$x_train, idx)
    t_batch <- data$t_train[idx]
    before <- net$params
    step <- sgd_step(net, grad_fn, x_cols, t_batch, opt$lr)
    net <- step$net
    loss <- step$loss
    if (!is.finite(loss)) {
      rec <- record_evaluations(rec, evaluator, data, every, bar, TRUE)
      save_state(out, i, before, batches$state_after(i), losses, rec$evals,
                 every)
      finished <- TRUE
      dlfs_abort("diverged_error", sprintf(
        paste("training diverged at iteration %d: minibatch loss %s; the",
              "last good state (iteration %d) is in %s"),
        i, py_float(loss), i, out
      ), iteration = as.integer(i), loss = loss, losses = losses[seq_len(i)],
      evals = rec$evals[seq_len(evals_before(i, every)), , drop = FALSE],
      train_seconds = proc.time()[["elapsed"]] - start,
      eval_seconds = rec$eval_seconds,
      eval_overlapped = !is.null(evaluator$job))
    }
    losses[i + 1L] <- loss
    if (i %% every == 0L) {
      requests <- requests + 1L
      rec$pending <- c(rec$pending,
                       list(c(evaluate(evaluator, net, requests), i = i)))
    }
    if (length(rec$pending) > 0L && i %% poll_every == 0L) {
      rec <- record_evaluations(rec, evaluator, data, every, bar, FALSE)
    }
    bar$update(i + 1L, loss)
    if ((i + 1L) %% every == 0L || i + 1L == opt$iters) {
      due <- c(due, list(list(n = i + 1L, params = net$params,
                              rng_state = batches$state_after(i + 1L))))
    }
    if (length(due) > 0L) {
      # The last iteration's state waits for every evaluation.
      rec <- record_evaluations(rec, evaluator, data, every, bar,
                                i + 1L == opt$iters)
      due <- write_due(out, due, losses, rec$evals, every)
    }
  }
  # The final weights' accuracies: those of the last evaluation if it was
  # the last iteration's.
  counts <- if ((opt$iters - 1L) %% every != 0L) {
    requests <- requests + 1L
    final_counts(evaluator, net, data, requests)
  }
  rec <- record_evaluations(rec, evaluator, data, every, bar, TRUE)
  final <- if (is.null(counts)) {
    rec$evals[n_evals, 3:4]
  } else {
    final_accuracies(evaluator, counts, data)
  }
  finished <- TRUE
  list(net = net, losses = losses, evals = rec$evals, final = final,
       train_seconds = proc.time()[["elapsed"]] - start,
       eval_seconds = rec$eval_seconds,
       eval_overlapped = !is.null(evaluator$job))
}

#' Write curves.png (complete runs) and summary.json (the loop wrote the
#' rest)
#'
#' @param out Output directory.
#' @param flags The run's flags (run.json's).
#' @param opt The same, typed.
#' @param data Dataset.
#' @param res Result of train_loop(), or of a divergence (final NULL,
#'   diverged_at, diverged_loss).
#' @param timing Named list of timings (t_start is replaced by wall_seconds).
#' @param resumed_from The iteration a resumed run started at, or NULL.
#' @return The summary list, invisibly.
write_outputs <- function(out, flags, opt, data, res, timing, resumed_from) {
  complete <- !is.null(res$final)
  ev <- res$evals
  if (complete) {
    with_atomic_path(file.path(out, "curves.png"), function(tmp) {
      plot_curves(tmp, seq_along(res$losses) - 1L, res$losses, ev[, 1L],
                  ev[, 3L], ev[, 4L],
                  sprintf("R | %s | seed %d | %d iterations | grad %s",
                          opt$dataset, opt$seed, opt$iters, opt$grad))
    })
  }
  timing$wall_seconds <- proc.time()[["elapsed"]] - timing$t_start
  timing$t_start <- NULL
  n <- length(res$losses)
  status <- if (complete) {
    list(status = "complete")
  } else {
    list(status = "diverged", diverged_at = res$diverged_at,
         diverged_loss = res$diverged_loss)
  }
  summary <- c(status, list(
    resumed_from = resumed_from, flags = flags, versions = r_versions(),
    batch_generator = sprintf("Rng(%d)", opt$seed + 1L),
    data = list(dir = normalizePath(opt$data_dir),
                train_size = ncol(data$x_train), test_size = ncol(data$x_test),
                image_shape = as.list(data$image_shape), files = data$files),
    final_train_acc = res$final[1L], final_test_acc = res$final[2L],
    final_loss = if (n > 0L) res$losses[[n]], evaluations = nrow(ev),
    timing = timing,
    outputs = as.list(setdiff(run_files(), if (!complete) "curves.png"))
  ))
  write_atomic(file.path(out, "summary.json"), json_text(summary))
  invisible(summary)
}

#' A path made absolute and normalized as Python's os.path.abspath does
#' (symbolic links kept)
#'
#' @param path File or directory path.
#' @return Character string.
absolute_path <- function(path) {
  if (!startsWith(path, "/")) path <- file.path(getwd(), path)
  parts <- character()
  for (part in strsplit(path, "/", fixed = TRUE)[[1L]]) {
    if (part %in% c("", ".")) next
    parts <- if (part == "..") utils::head(parts, -1L) else c(parts, part)
  }
  paste0("/", paste(parts, collapse = "/"))
}

#' The dataset of a run: loaded, limited to --train-limit images, checked
#' against --batch-size
#'
#' @param opt Flags.
#' @return Dataset from load_dataset().
run_dataset <- function(opt) {
  data <- load_dataset(opt$data_dir)
  n <- ncol(data$x_train)
  if (!is.null(opt$train_limit)) {
    if (opt$train_limit > n) {
      flag_error("--train-limit %d exceeds the %d training images in %s",
                 opt$train_limit, n, opt$data_dir)
    }
    keep <- seq_len(opt$train_limit)
    data$x_train <- data$x_train[, keep, drop = FALSE]
    data$t_train <- data$t_train[keep]
    n <- opt$train_limit
  }
  if (opt$batch_size > n) {
    flag_error("--batch-size %d exceeds the %d training images%s",
               opt$batch_size, n,
               if (is.null(opt$train_limit)) "" else " (after --train-limit)")
  }
  data
}

#' The net with the weights of a checkpoint file (other arrays ignored)
#'
#' @param net A TwoLayerNet.
#' @param path Checkpoint file.
#' @return The net.
with_checkpoint_weights <- function(net, path) {
  arrays <- load_checkpoint(path)
  missing <- setdiff(param_keys, names(arrays))
  if (length(missing) > 0L) {
    checkpoint_error(path, "has no %s; --checkpoint-in needs the arrays %s",
                     paste(missing, collapse = " "),
                     paste(param_keys, collapse = " "))
  }
  tryCatch(set_params(net, arrays[param_keys]), dlfs_error = function(e) {
    checkpoint_error(path, "does not fit the net: %s", conditionMessage(e))
  })
}

#' Create the output directory, or refuse (exit 2) saying why it cannot be
#'
#' @param out Directory.
#' @return NULL, invisibly.
make_out_dir <- function(out) {
  why <- tryCatch({
    dir.create(out, recursive = TRUE)
    NULL
  }, warning = function(w) conditionMessage(w))
  if (!dir.exists(out) || file.access(out, 2L) != 0L) {
    flag_error("--out %s: cannot create or write this directory%s", out,
               if (is.null(why)) "" else sprintf(" (%s)", why))
  }
  invisible(NULL)
}

#' A new run: check --out, the flags against the data, write run.json
#'
#' @param opt Flags from parse_train_args().
#' @param started The command's start time (for the default --out).
#' @return list(out, flags (as in run.json), opt, data, net, state (before
#'   iteration 0)).
start_run <- function(opt, started) {
  out <- absolute_path(or_default(opt$out, sprintf(
    "runs/%s-r-seed%d", format(started, "%Y%m%d-%H%M%S"), opt$seed
  )))
  # Refused before the data is read; with --force deleted only once the
  # data and the flags are known good.
  earlier <- guard_out_dir(out, opt$force)
  opt$data_dir <- absolute_path(or_default(opt$data_dir,
                                           default_data_dir(opt$dataset)))
  if (opt$download) download_mnist(opt$data_dir, log = !opt$quiet)
  data <- run_dataset(opt)
  opt$eval_every <- or_default(
    opt$eval_every, max(1L, ncol(data$x_train) %/% opt$batch_size)
  )
  net <- TwoLayerNet(nrow(data$x_train), opt$hidden, 10L,
                     opt$weight_init_std, seed = opt$seed)
  if (!is.null(opt$checkpoint_in)) {
    net <- with_checkpoint_weights(net, opt$checkpoint_in)
  }
  opt$out <- out
  make_out_dir(out)
  remove_stale_tmp(out)
  if (length(earlier) > 0L) clear_run_files(out)
  write_run_json(out, "R", opt, lapply(data$files, function(f) f$sha256))
  batches <- rng(opt$seed + 1L)
  list(out = out, flags = opt, opt = opt, data = data, net = net,
       state = train_state(net$params, 0, c(batches$s1, batches$s2),
                           numeric(0), matrix(0, 0L, 4L)))
}

#' summary.json's status, if it is there and readable
#'
#' @param out Run directory.
#' @return "complete", "diverged" or NULL.
run_status <- function(out) {
  tryCatch({
    status <- jsonlite::fromJSON(file.path(out, "summary.json"))$status
    if (is.character(status) && length(status) == 1L) status
  }, error = function(e) NULL, warning = function(w) NULL)
}

#' Continue a run: its flags from run.json, data and state checked
#'
#' @param dir The run directory (--resume).
#' @param quiet --quiet of this command.
#' @return As start_run(), or NULL if the run is complete.
resume_run <- function(dir, quiet) {
  out <- absolute_path(dir)
  body <- read_run_json(out)
  json_path <- file.path(out, "run.json")
  opt <- recorded_flags(body$flags, json_path)
  flags <- body$flags
  flags$out <- out
  opt$out <- out
  remove_stale_tmp(out)
  data <- run_dataset(opt)
  check_data_files(body$data_files, data$files, json_path)
  state <- load_state(out)
  net <- TwoLayerNet(nrow(data$x_train), opt$hidden, 10L,
                     opt$weight_init_std, seed = opt$seed)
  check_state_fits(state, opt, net$shapes, file.path(out, "checkpoint.bin"))
  net$params <- state$params
  if (state$iterations_done == opt$iters &&
        identical(run_status(out), "complete")) {
    cat(sprintf("%s: the run is already complete (%d iterations); %s\n", out,
                opt$iters, "nothing to do"))
    return(NULL)
  }
  opt$quiet <- quiet
  if (!quiet) {
    cat(sprintf("resuming %s at iteration %.0f of %d\n", out,
                state$iterations_done, opt$iters))
  }
  list(out = out, flags = flags, opt = opt, data = data, net = net,
       state = state)
}

#' Train from a started or resumed run, then write curves and summary
#'
#' @param run From start_run() or resume_run().
#' @param t_start Start of the command (elapsed seconds).
#' @param started Its time.
#' @param resumed_from The resumed run's first iteration, or NULL.
#' @return The summary list, invisibly; signals dlfs_diverged_error after
#'   writing a diverged run's summary.
train_run <- function(run, t_start, started, resumed_from) {
  opt <- run$opt
  out <- run$out
  # A new run: the state before iteration 0. Resumed: the tables rebuilt
  # from the checkpoint, which is the truth (they may be a step ahead).
  suspendInterrupts(write_progress(out, run$state))
  load_seconds <- proc.time()[["elapsed"]] - t_start
  stamp <- format(started, "%Y-%m-%dT%H:%M:%S%z")
  finish <- function(res) {
    run_seconds <- res$train_seconds -
      if (res$eval_overlapped) 0 else res$eval_seconds
    iterations <- length(res$losses) - run$state$iterations_done
    timing <- list(t_start = t_start, started = sub("(..)$", ":\\1", stamp),
                   load_seconds = load_seconds,
                   train_seconds = res$train_seconds,
                   eval_seconds = res$eval_seconds,
                   # Overlapped evaluations cost the loop no wall time of
                   # their own: train_seconds already holds what they delay.
                   eval_overlapped = res$eval_overlapped,
                   seconds_per_iteration = run_seconds / max(1L, iterations))
    write_outputs(out, run$flags, opt, run$data, res, timing, resumed_from)
  }
  bar <- progress_display(opt$iters, opt$quiet)
  res <- tryCatch(
    train_loop(opt, run$data, run$net, bar, run$state, out),
    dlfs_diverged_error = function(e) {
      finish(list(losses = e$losses, evals = e$evals, final = NULL,
                  diverged_at = e$iteration,
                  diverged_loss = py_float(e$loss),
                  train_seconds = e$train_seconds,
                  eval_seconds = e$eval_seconds,
                  eval_overlapped = e$eval_overlapped))
      stop(e)
    },
    finally = bar$close()
  )
  summary <- finish(res)
  cat(sprintf("final train acc, test acc | %.4f, %.4f (%.1f s) -> %s\n",
              res$final[[1L]], res$final[[2L]],
              summary$timing$wall_seconds, out))
  invisible(summary)
}

#' The one line for an interrupted run: its last checkpoint, how to resume
#'
#' @param out Run directory, or NULL if not known yet.
#' @return Character string.
interrupted_message <- function(out) {
  n <- if (!is.null(out)) {
    tryCatch(load_state(out)$iterations_done, dlfs_error = function(e) NULL)
  }
  if (is.null(n)) {
    return("interrupted before the first checkpoint; nothing to resume")
  }
  sprintf(paste("interrupted; last checkpoint at iteration %.0f in %s;",
                "continue with: Rscript r/train.R --resume %s"), n, out, out)
}

#' Start or continue (--resume) a run, train, write the outputs
#'
#' An interrupt (SIGINT) becomes a "train_interrupted" error whose message
#' names the last checkpoint on disk.
#'
#' @param opt Flags from parse_train_args().
#' @return The summary list (invisibly), or NULL for a complete run.
run_training <- function(opt) {
  t_start <- proc.time()[["elapsed"]]
  started <- Sys.time()
  out <- if (!is.null(opt$resume)) absolute_path(opt$resume)
  tryCatch({
    run <- if (is.null(opt$resume)) {
      start_run(opt, started)
    } else {
      resume_run(opt$resume, opt$quiet)
    }
    if (is.null(run)) return(invisible(NULL))
    out <- run$out
    resumed_from <- if (!is.null(opt$resume)) run$state$iterations_done
    train_run(run, t_start, started, resumed_from)
  }, interrupt = function(e) {
    stop(structure(class = c("train_interrupted", "error", "condition"),
                   list(message = interrupted_message(out), call = NULL)))
  })
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

#' A message on one line: its lines trimmed and joined by "; "
#'
#' @param text Character string.
#' @return Character string.
one_line <- function(text) {
  lines <- trimws(strsplit(text, "\n")[[1L]])
  paste(lines[nzchar(lines)], collapse = "; ")
}

#' Command-line entry point
#'
#' Every failure is one line on stderr: "train: error: ..." (or the
#' interrupt's line). A warning is held back: it ends the error's line, in
#' parentheses, when one follows (R says why a file would not open in a
#' warning, then fails with "cannot open the connection"); after a success
#' it gets a line "train: warning: ...".
#'
#' @param args Command-line arguments.
#' @return Exit status: 0, 2 (bad flags, data, checkpoint, output directory,
#'   resume), 3 (diverged), 130 (interrupted), 1 (anything else).
main <- function(args) {
  warned <- new.env()
  warned$last <- NULL
  fail <- function(status, prefix = "error: ") {
    function(e) {
      why <- if (!is.null(warned$last)) sprintf(" (%s)", warned$last)
      message("train: ", prefix, one_line(paste0(conditionMessage(e), why)))
      warned$last <- NULL
      status
    }
  }
  status <- withCallingHandlers(
    tryCatch({
      opt <- parse_train_args(args)
      if (isTRUE(opt$help)) {
        optparse::print_help(train_parser())
      } else {
        run_training(opt)
      }
      0L
    },
    train_interrupted = fail(130L, ""),
    interrupt = function(e) {
      message("train: ", interrupted_message(NULL))
      130L
    },
    dlfs_diverged_error = fail(3L),
    dlfs_error = fail(2L),
    error = fail(1L)),
    warning = function(w) {
      warned$last <- one_line(conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  if (!is.null(warned$last)) message("train: warning: ", warned$last)
  status
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
