package dev.t5pt.cli;

import dev.t5pt.tune.Metrics;
import dev.t5pt.tune.Trainer;

import java.io.PrintWriter;
import java.util.Locale;

/** The trainer's progress on the terminal: a redrawn bar on a console, plain lines when piped. */
final class ProgressBar implements Trainer.Listener {
    private final PrintWriter err;
    private final boolean tty;
    private final int every;

    ProgressBar(PrintWriter err, boolean tty, int every) {
        this.err = err;
        this.tty = tty;
        this.every = Math.max(1, every);
    }

    @Override
    public void step(long step, long total, double loss, double tokensPerSecond, double secondsLeft) {
        String text = String.format(Locale.ROOT, "step %d/%d  loss %.4f  %.0f tok/s  ETA %s", step, total, loss,
                tokensPerSecond, duration(secondsLeft));
        if (tty) {
            int width = 30;
            int done = (int) (width * step / Math.max(1, total));
            err.print("\r[" + "#".repeat(done) + ".".repeat(width - done) + "] " + text + "   ");
        } else if (step % every == 0 || step == total) {
            err.println(text);
        }
        err.flush();
    }

    @Override
    public void evaluated(long step, Metrics dev, boolean best) {
        line(String.format(Locale.ROOT, "step %d dev: exact match %.4f, accuracy %.4f, macro-F1 %.4f%s", step,
                dev.exactMatch(), dev.accuracy(), dev.macroF1(), best ? " (best so far)" : ""));
    }

    @Override
    public void message(String text) {
        line(text);
    }

    private void line(String text) {
        if (tty) {
            err.print("\r\033[K");
        }
        err.println(text);
        err.flush();
    }

    static String duration(double s) {
        if (!Double.isFinite(s)) {
            return "?";
        }
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
