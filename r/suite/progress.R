# The progress display of a training run: a bar on a terminal, plain lines
# otherwise. Mirrors python/suite/progress.py: the same plain lines.

#' Seconds as 1h02m03s, 2m03s or 3s
#'
#' @param seconds Non-negative number.
#' @return Character string.
hms <- function(seconds) {
  s <- round(seconds)
  h <- s %/% 3600
  m <- (s %% 3600) %/% 60
  if (h > 0) return(sprintf("%.0fh%02.0fm%02.0fs", h, m, s %% 60))
  if (m > 0) return(sprintf("%.0fm%02.0fs", m, s %% 60))
  sprintf("%.0fs", s %% 60)
}

#' A progress bar with ETA on stdout (the progress package)
#'
#' @param total Number of iterations.
#' @return A progress_bar, already drawn at 0.
terminal_bar <- function(total) {
  bar <- progress::progress_bar$new(
    format = "[:bar] :current/:total :percent eta :eta :loss",
    total = total, stream = stdout(), clear = FALSE, show_after = 0
  )
  bar$tick(0, tokens = list(loss = ""))
  bar
}

#' Print a plain progress line if a tenth of the run or 30 s have passed
#'
#' @param state Environment with start, last, step and total.
#' @param done Iterations finished.
#' @param loss Latest loss.
#' @return NULL, invisibly.
plain_progress <- function(state, done, loss) {
  now <- proc.time()[["elapsed"]]
  total <- state$total
  if (done %% state$step == 0L || done == total || now - state$last >= 30) {
    elapsed <- now - state$start
    cat(sprintf("iter %d/%d (%.0f%%) loss %.4f elapsed %s eta %s\n", done,
                total, 100 * done / total, loss, hms(elapsed),
                hms(elapsed / done * (total - done))))
    state$last <- now
  }
  invisible()
}

#' A progress display: a bar on a terminal, plain lines otherwise
#'
#' With quiet = TRUE it shows nothing. Plain lines come every tenth of the
#' run and at least every 30 s.
#'
#' @param total Number of iterations.
#' @param quiet Show nothing.
#' @param tty Whether stdout is a terminal.
#' @return A list of functions update(done, loss), write(line), close().
progress_display <- function(total, quiet, tty = isatty(stdout())) {
  state <- new.env(parent = emptyenv())
  state$start <- proc.time()[["elapsed"]]
  state$last <- state$start
  state$total <- total
  state$step <- max(1L, total %/% 10L)
  bar <- if (!quiet && tty) terminal_bar(total) else NULL
  list(
    update = function(done, loss) {
      if (!is.null(bar)) {
        bar$tick(tokens = list(loss = sprintf("loss %.4f", loss)))
      } else if (!quiet) {
        plain_progress(state, done, loss)
      }
      invisible()
    },
    write = function(line) {
      if (is.null(bar)) cat(line, "\n", sep = "") else bar$message(line)
    },
    close = function() {
      if (!is.null(bar) && !bar$finished) bar$terminate()
    }
  )
}
