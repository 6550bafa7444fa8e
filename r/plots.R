# Run reporting: the progress display, and curves.png (the book's figures
# 4-11 and 4-12). Mirrors python/plots.py: same lines, same figure layout,
# titles, labels, colours and line styles.

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

#' Whole-epoch ticks 0, k, 2k, ... (at most 9), as python/plots.py
#'
#' @param last The last epoch number.
#' @return Integer vector.
epoch_ticks <- function(last) {
  seq(0L, last, by = max(1L, ceiling(last / 8)))
}

#' Draw the loss curve and the train/test accuracy curves into a PNG file
#'
#' Two panels like python/plots.py: 1000 x 400 pixels at 100 dpi; loss per
#' iteration (fig. 4-11), then train (solid) and test (dashed) accuracy per
#' epoch (fig. 4-12), matplotlib's default colours C0 and C1.
#'
#' @param path PNG file to write.
#' @param iters,losses Iteration numbers and losses.
#' @param epochs,train_acc,test_acc Evaluation numbers and accuracies.
#' @param subtitle Overall title (optional).
#' @return path, invisibly.
plot_curves <- function(path, iters, losses, epochs, train_acc, test_acc,
                        subtitle = "") {
  c0 <- "#1f77b4"
  c1 <- "#ff7f0e"
  grDevices::png(path, width = 1000, height = 400, res = 100, type = "cairo")
  on.exit(grDevices::dev.off())
  graphics::par(mfrow = c(1, 2), mar = c(3.4, 4, 2.2, 1),
                oma = c(0, 0, if (nzchar(subtitle)) 1.6 else 0, 0),
                las = 1, font.main = 1, cex.main = 1.05, cex.axis = 0.85,
                cex.lab = 0.95, mgp = c(2.6, 0.5, 0), tcl = -0.35,
                yaxs = "i")
  # matplotlib's autoscale: 5% of the data range beyond the top value.
  finite <- losses[is.finite(losses)]
  top <- if (length(finite)) max(finite) + 0.05 * diff(range(finite)) else 1
  graphics::plot(iters, losses, type = "l", col = c0, lwd = 0.8,
                 ylim = c(0, top), xlab = "", ylab = "loss",
                 main = "Training loss (fig. 4-11)")
  graphics::title(xlab = "iteration", line = 1.8)
  graphics::plot(epochs, train_acc, type = "o", col = c0, pch = 16,
                 cex = 0.6, lwd = 1.5, ylim = c(0, 1), xlab = "",
                 ylab = "accuracy", main = "Accuracy (fig. 4-12)", xaxt = "n")
  graphics::axis(1, at = epoch_ticks(max(c(epochs, 0))))
  graphics::title(xlab = "epochs", line = 1.8)
  graphics::lines(epochs, test_acc, type = "o", col = c1, pch = 15,
                  cex = 0.6, lwd = 1.5, lty = 2)
  graphics::legend("bottomright", legend = c("train acc", "test acc"),
                   col = c(c0, c1), lty = c(1, 2), pch = c(16, 15), lwd = 1.5,
                   bg = "white", box.col = "grey80", inset = 0.02, cex = 0.9)
  if (nzchar(subtitle)) {
    graphics::mtext(subtitle, outer = TRUE, cex = 0.9, line = 0.2)
  }
  invisible(path)
}
