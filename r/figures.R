# The chapter's figures 4-7, 4-9, 4-10, 4-11 and 4-12, drawn with base R
# graphics: `make figures`. Mirrors python/figures.py (same size, titles,
# labels and colours). A training run's curves.png (r/train.R) is figures 4-11
# and 4-12 side by side.
# Usage: Rscript r/figures.R --out DIR [--run RUN_DIR]; without --run, a
# small training run is made first (Rscript r/train.R, few iterations on a
# training subset) and its curves are drawn.

fig_width <- 640L # pixels, as python/figures.py's 6.4 x 4.8 in at 100 dpi
fig_height <- 480L
c0 <- "#1f77b4" # matplotlib's C0 and C1, as python/figures.py
c1 <- "#ff7f0e"
grey <- "#666666"
figure_names <- c("fig4-7.png", "fig4-9.png", "fig4-10.png", "fig4-11.png",
                  "fig4-12.png")
# The small run drawn when no run directory is given: 20 epochs of 50
# iterations on 5000 images.
small_run_flags <- c("--iters", "1000", "--train-limit", "5000",
                     "--eval-every", "50", "--seed", "0", "--quiet")

#' The book's (4.5): 0.01 x^2 + 0.1 x
#'
#' @param x Numeric vector.
#' @return f(x).
function_1 <- function(x) 0.01 * x^2 + 0.1 * x

#' The book's (4.6): x0^2 + x1^2
#'
#' @param x A point (x0, x1).
#' @return f(x).
function_2 <- function(x) sum(x^2)

# Draw into a PNG file (pixels at 100 dpi) with matplotlib-like margins and
# text: draw, lazily evaluated, runs on the open device, closed after it.
new_figure <- function(path, draw, width = fig_width, height = fig_height) {
  grDevices::png(path, width = width, height = height, res = 100,
                 type = "cairo")
  on.exit(grDevices::dev.off())
  graphics::par(mar = c(3.3, 3.8, 2.2, 1), las = 1, font.main = 1,
                cex.main = 1.05, cex.axis = 0.85, mgp = c(2.1, 0.5, 0),
                tcl = -0.35)
  draw
  invisible(path)
}

#' function_1 on [0, 20) and its tangent at x = 5 (gradient_1d.py)
#'
#' @param path PNG file to write.
#' @return path, invisibly.
fig4_7 <- function(path) {
  x <- seq(0, 19.9, by = 0.1)
  slope <- numerical_diff(function_1, 5)
  tangent <- slope * (x - 5) + function_1(5)
  new_figure(path, {
    graphics::plot(x, function_1(x), type = "l", col = c0, lwd = 1.5,
                   ylim = range(function_1(x), tangent), xlab = "x",
                   ylab = "f(x)",
                   main = "Fig. 4-7: f(x) and its tangent at x = 5")
    graphics::lines(x, tangent, col = c1, lty = 2, lwd = 1.5)
    graphics::legend("topleft", col = c(c0, c1), lty = c(1, 2), lwd = 1.5,
                     legend = c("f(x) = 0.01x\u00b2 + 0.1x",
                                sprintf("tangent at x = 5 (slope %.4f)",
                                        slope)),
                     bg = "white", box.col = "grey80", cex = 0.9)
  })
}

#' The negative gradient of function_2 as arrows (gradient_2d.py)
#'
#' @param path PNG file to write.
#' @param step Grid spacing on [-2, 2.25] x [-2, 2.25].
#' @return path, invisibly.
fig4_9 <- function(path, step = 0.25) {
  grid <- expand.grid(x0 = seq(-2, 2.25, by = step),
                      x1 = seq(-2, 2.25, by = step))
  grad <- t(apply(grid, 1L, function(p) {
    numerical_gradient(function_2, unname(p))
  }))
  # Arrow lengths proportional to |grad|, the longest 0.3 (matplotlib's
  # quiver scales to the data the same way).
  k <- 0.3 / max(sqrt(rowSums(grad^2)))
  # At the minimum the gradient is 0: no arrow (arrows() would warn).
  keep <- rowSums(grad^2) > 0
  ticks <- seq(-2, 2, 0.5)
  new_figure(path, {
    graphics::plot(NA, xlim = c(-2, 2), ylim = c(-2, 2), xaxs = "i",
                   yaxs = "i", xlab = "x0", ylab = "x1", xaxt = "n",
                   yaxt = "n",
                   main = "Fig. 4-9: -grad f(x0, x1), f = x0\u00b2 + x1\u00b2")
    graphics::axis(1, at = ticks)
    graphics::axis(2, at = ticks)
    graphics::abline(v = ticks, h = ticks, col = "#dddddd")
    graphics::arrows(grid$x0[keep], grid$x1[keep],
                     grid$x0[keep] - k * grad[keep, 1L],
                     grid$x1[keep] - k * grad[keep, 2L], length = 0.04,
                     col = grey)
  })
}

#' Gradient descent on function_2 from (-3, 4) (gradient_method.py)
#'
#' @param path PNG file to write.
#' @param lr Learning rate.
#' @param step_num Number of steps.
#' @return path, invisibly.
fig4_10 <- function(path, lr = 0.1, step_num = 20) {
  x_history <- gradient_descent(function_2, c(-3, 4), lr = lr,
                                step_num = step_num, history = TRUE)$history
  angle <- seq(0, 2 * pi, length.out = 200L)
  new_figure(path, {
    graphics::plot(NA, xlim = c(-3.5, 3.5), ylim = c(-4.5, 4.5), xaxs = "i",
                   yaxs = "i", xlab = "X0", ylab = "X1",
                   main = sprintf(paste("Fig. 4-10: gradient descent from",
                                        "(-3, 4), lr = %g, %d steps"),
                                  lr, step_num))
    for (r in 1:5) { # contours of function_2, which the book's figure shows
      graphics::lines(r * cos(angle), r * sin(angle), col = "#dddddd")
    }
    graphics::abline(h = 0, v = 0, col = grey, lty = 2)
    graphics::points(x_history[, 1L], x_history[, 2L], pch = 16, cex = 1.1,
                     col = c0)
  })
}

# Whole-epoch ticks 0, k, 2k, ... (at most 9), as python/figures.py.
epoch_ticks <- function(last) {
  seq(0L, last, by = max(1L, ceiling(last / 8)))
}

# Fig. 4-11 on the current device: the minibatch loss of every iteration.
loss_curve <- function(iters, losses) {
  # matplotlib's autoscale: 5% of the data range beyond the top value.
  top <- max(losses) + 0.05 * diff(range(losses))
  graphics::plot(iters, losses, type = "l", col = c0, lwd = 0.8,
                 ylim = c(0, top), yaxs = "i", xlab = "iteration",
                 ylab = "loss", main = "Fig. 4-11: training loss")
}

# Fig. 4-12 on the current device: train and test accuracy per evaluation.
accuracy_curves <- function(epochs, train_acc, test_acc) {
  graphics::plot(epochs, train_acc, type = "o", col = c0, pch = 16,
                 cex = 0.6, lwd = 1.5, ylim = c(0, 1), yaxs = "i",
                 xlab = "epochs", ylab = "accuracy", xaxt = "n",
                 main = "Fig. 4-12: accuracy")
  graphics::axis(1, at = epoch_ticks(max(epochs)))
  graphics::lines(epochs, test_acc, type = "o", col = c1, pch = 15,
                  cex = 0.6, lwd = 1.5, lty = 2)
  graphics::legend("bottomright", legend = c("train acc", "test acc"),
                   col = c(c0, c1), lty = c(1, 2), pch = c(16, 15), lwd = 1.5,
                   bg = "white", box.col = "grey80", inset = 0.02, cex = 0.9)
}

#' A training run's curves.png: figures 4-11 and 4-12 side by side
#'
#' 1000 x 400 pixels at 100 dpi, as python/figures.py's curves().
#'
#' @param path PNG file to write.
#' @param iters,losses Iteration numbers and losses.
#' @param epochs,train_acc,test_acc Evaluation numbers and accuracies.
#' @param subtitle Overall title.
#' @return path, invisibly.
curves <- function(path, iters, losses, epochs, train_acc, test_acc,
                   subtitle) {
  new_figure(path, width = 1000L, height = 400L, {
    graphics::par(mfrow = c(1L, 2L), oma = c(0, 0, 1.6, 0))
    loss_curve(iters, losses)
    accuracy_curves(epochs, train_acc, test_acc)
    graphics::mtext(subtitle, outer = TRUE, cex = 0.9, line = 0.2)
  })
}

# Train briefly with the command line (Rscript r/train.R) into run_dir,
# replaced if present; here is this file's directory.
small_run <- function(run_dir, here) {
  unlink(run_dir, recursive = TRUE)
  status <- system2(file.path(R.home("bin"), "Rscript"),
                    c(file.path(here, "train.R"), small_run_flags,
                      "--out", run_dir))
  if (status != 0L) stop("the small training run failed", call. = FALSE)
  run_dir
}

#' Write the five figures into out; 4-11 and 4-12 are the run_dir's curves
#'
#' @param out Output directory.
#' @param run_dir A run directory (metrics.csv, epochs.csv).
#' @return The paths written.
draw_all <- function(out, run_dir) {
  dir.create(out, recursive = TRUE, showWarnings = FALSE)
  paths <- file.path(out, figure_names)
  fig4_7(paths[1L])
  fig4_9(paths[2L])
  fig4_10(paths[3L])
  m <- utils::read.csv(file.path(run_dir, "metrics.csv"))
  e <- utils::read.csv(file.path(run_dir, "epochs.csv"))
  new_figure(paths[4L], loss_curve(m$iter, m$loss))
  new_figure(paths[5L], accuracy_curves(e$epoch, e$train_acc, e$test_acc))
  paths
}

if (sys.nframe() == 0L) {
  script <- sub("^--file=", "",
                grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]])
  here <- dirname(normalizePath(script))
  source(file.path(here, "load.R"))
  parser <- optparse::OptionParser(
    usage = "Rscript r/figures.R --out DIR [--run RUN_DIR]",
    option_list = list(
      optparse::make_option("--out", default = "build/figures/r",
                            help = "output directory [%default]"),
      optparse::make_option("--run", help = paste(
        "a run directory (metrics.csv, epochs.csv) [a small run made in",
        "OUT/run]"
      ))
    )
  )
  args <- optparse::parse_args(parser, commandArgs(trailingOnly = TRUE))
  run_dir <- args$run
  if (is.null(run_dir)) run_dir <- small_run(file.path(args$out, "run"), here)
  writeLines(draw_all(args$out, run_dir))
}
