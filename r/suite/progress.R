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

# Print a plain progress line if a tenth of the run or 30 s have passed
# since the last one (clock: an environment of start, last and total).
plain_progress <- function(clock, done, loss) {
  now <- proc.time()[["elapsed"]]
  total <- clock$total
  if (done %% max(1L, total %/% 10L) == 0L || done == total ||
        now - clock$last >= 30) {
    elapsed <- now - clock$start
    cat(sprintf("iter %d/%d (%.0f%%) loss %.4f elapsed %s eta %s\n", done,
                total, 100 * done / total, loss, hms(elapsed),
                hms(elapsed / done * (total - done))))
    clock$last <- now
  }
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
  clock <- new.env(parent = emptyenv())
  clock$start <- clock$last <- proc.time()[["elapsed"]]
  clock$total <- total
  bar <- NULL
  if (!quiet && tty) {
    bar <- progress::progress_bar$new(
      format = "[:bar] :current/:total :percent eta :eta :loss",
      total = total, stream = stdout(), clear = FALSE, show_after = 0
    )
    bar$tick(0, tokens = list(loss = ""))
  }
  list(
    update = function(done, loss) {
      if (!is.null(bar)) {
        bar$tick(tokens = list(loss = sprintf("loss %.4f", loss)))
      } else if (!quiet) {
        plain_progress(clock, done, loss)
      }
      invisible()
    },
    write = function(line) {
      # A finished bar refuses messages: the last iteration's line is plain.
      if (is.null(bar) || bar$finished) cat(line, "\n", sep = "") else
        bar$message(line)
    },
    close = function() {
      if (!is.null(bar) && !bar$finished) bar$terminate()
    }
  )
}
