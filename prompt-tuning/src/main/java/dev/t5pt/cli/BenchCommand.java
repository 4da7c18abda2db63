package dev.t5pt.cli;

import dev.t5pt.perf.PeakMemory;
import dev.t5pt.model.Dropout;
import dev.t5pt.perf.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time one end-to-end workload on random weights at a real T5 shape.",
                "step: prompt-tuning step (B=8, 128 tokens + 100 prompt, 8 targets: forward, backward to the prompt, update);",
                "encoder: encoder forward of that batch; decode: greedy decoding, B=1, 128-token input.",
                "Warm-up first, then the median of the repetitions; peak RSS is the process's high-water mark."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "WORKLOAD", description = "step, encoder or decode")
    String workload;

    @Option(names = "--quick", description = "the headline numbers in under two minutes: T5-small step, encoder, decode")
    boolean quick;

    @Option(names = "--shape", defaultValue = "t5-small", description = "t5-small or t5-base-lm-adapt (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--reps", defaultValue = "5", description = "timed repetitions (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed repetitions first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = {"and keep warming up for at least this long "
            + "(default: ${DEFAULT-VALUE}): the JIT compiles for the first ~10 s and meanwhile takes one of the cores"})
    double warmupSeconds;

    @Option(names = "--tokens", defaultValue = "32", description = "decode: tokens per repetition (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--checkpointing", description = "step: recompute encoder blocks during backward")
    boolean checkpointing;

    @Option(names = "--dropout", defaultValue = "0", description = "step: dropout inside the frozen model, as tune trains "
            + "(default: ${DEFAULT-VALUE}, like the PyTorch side of the side-by-side script)")
    float dropout;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() {
        if (quick) {
            return quick();
        }
        if (workload == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "WORKLOAD: give step, encoder or decode (or --quick)");
        }
        if (reps < 1 || warmup < 0 || tokens < 1 || !(warmupSeconds >= 0)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--reps and --tokens must be ≥ 1, --warmup and --warmup-seconds ≥ 0");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--dropout: expected a rate in [0, 1), found " + dropout);
        }
        Dropout drop = new Dropout(dropout, 42);
        Runnable run;
        Workloads w = new Workloads(Workloads.shape(shape), 42);
        switch (workload) {
            case "step" -> run = () -> w.step(checkpointing, drop);
            case "encoder" -> run = w::encoder;
            case "decode" -> run = () -> w.decode(tokens);
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "WORKLOAD: expected step, encoder or decode, found " + workload);
        }
        double[] sorted = time(run, warmup, warmupSeconds, reps);
        double median = median(sorted);
        long rss = PeakMemory.peakRssMb();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.printf(Locale.ROOT, "{\"workload\": \"%s\", \"shape\": \"%s\", \"checkpointing\": %b, \"dropout\": %s, \"reps\": %d, "
                            + "\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f%s, \"peak_rss_mb\": %d, \"kernels\": \"%s\", \"openblas_coretype\": \"%s\"}%n",
                    workload, shape, checkpointing, dropout, reps, median, sorted[0], sorted[reps - 1],
                    workload.equals("decode") ? String.format(Locale.ROOT, ", \"ms_per_token\": %.3f, \"tokens\": %d", median / tokens, tokens) : "",
                    rss, w.model().kernels().name(), openBlasCoreType());
        } else {
            out.printf(Locale.ROOT, "%s %s%s: median %.1f ms (min %.1f, max %.1f, %d reps)%s; peak RSS %d MB%n", workload, shape,
                    (checkpointing ? " (checkpointing)" : "") + (dropout > 0 ? " (dropout " + dropout + ")" : ""), median, sorted[0], sorted[reps - 1], reps,
                    workload.equals("decode") ? String.format(Locale.ROOT, "; %.2f ms/token", median / tokens) : "", rss);
        }
        return 0;
    }

    /** The OpenBLAS kernels ND4J's GEMMs were asked to use (the launcher chooses them), or "auto". */
    static String openBlasCoreType() {
        return System.getenv().getOrDefault("OPENBLAS_CORETYPE", "auto");
    }

    /** Sorted times in ms of {@code reps} runs after at least {@code warmup} untimed ones and {@code warmupSeconds}. */
    static double[] time(Runnable run, int warmup, double warmupSeconds, int reps) {
        long start = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - start < warmupSeconds * 1e9; i++) {
            run.run();
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            run.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private int quick() {
        PrintWriter out = spec.commandLine().getOut();
        Workloads w = new Workloads(Workloads.shape("t5-small"), 42);
        double step = median(time(() -> w.step(false), 2, 0, 3));
        double enc = median(time(w::encoder, 1, 0, 3));
        double dec = median(time(() -> w.decode(32), 1, 0, 3)) / 32;
        out.printf(Locale.ROOT, "t5-small (random weights, B=8, 128 tokens + 100 prompt, 8 targets; kernels %s)%n",
                w.model().kernels().name());
        out.printf(Locale.ROOT, "  prompt-tuning step  %8.1f ms%n  encoder forward     %8.1f ms%n  greedy decode       %8.2f ms/token (B=1)%n"
                + "  peak RSS            %8d MB%n", step, enc, dec, PeakMemory.peakRssMb());
        return 0;
    }
}
