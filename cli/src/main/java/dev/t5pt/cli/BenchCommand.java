package dev.t5pt.cli;

import dev.t5pt.perf.Machine;
import dev.t5pt.perf.PeakMemory;
import dev.t5pt.model.Dropout;
import dev.t5pt.perf.Repetitions;
import dev.t5pt.perf.Workloads;
import dev.t5pt.config.T5Config;
import dev.t5pt.config.T5Keys;
import dev.t5pt.weights.WeightFormat;
import dev.t5pt.weights.WeightOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    @Option(names = "--shape", defaultValue = "t5-small", description = "t5-small, t5-base-lm-adapt, t5-large-lm-adapt, "
            + "t5-xl-lm-adapt or t5-xxl-lm-adapt (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--weights", paramLabel = "FORMAT[,FORMAT...]", split = ",", converter = WeightsOption.FormatConverter.class,
            description = {"hold the random model's matrices as f32, bf16 or int8, drawn straight into that format "
                    + "(default: f32); several formats give one result each, in this process (e.g. f32,bf16,int8 to "
                    + "compare decode speeds in the same run): held at once and timed in turns, one repetition of each, "
                    + "when their matrices fit in 4 GB together (T5-small, T5-base), else one after another"})
    List<WeightFormat> weights;

    @Option(names = "--keep-f32", paramLabel = "NAME", split = ",",
            description = "matrices kept in f32 whatever --weights says (see tune --help; default: shared under int8)")
    List<String> keepF32;

    @Option(names = "--reps", paramLabel = "N", description = {"timed repetitions (default: 5; decode: 15, its repetitions being short "
            + "and its medians over 5 moving by ~10%% between runs here)"})
    Integer repsOption;

    /** The timed repetitions: as given, else 5 (decode 15). */
    private int reps;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed repetitions first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = {"and keep warming up for at least this long "
            + "(default: ${DEFAULT-VALUE}), then until the JIT has compiled for under 1%% of the last 3 s (see --max-warmup-seconds)"})
    double warmupSeconds;

    @Option(names = "--max-warmup-seconds", defaultValue = "60", description = {"but stop warming up after this long "
            + "(default: ${DEFAULT-VALUE}). The JIT goes on compiling for 10-20 s, on one of the two cores: a decode "
            + "repetition that overlaps it takes up to twice as long"})
    double maxWarmupSeconds;

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
        reps = repsOption != null ? repsOption : "decode".equals(workload) ? 15 : 5;
        if (reps < 1 || warmup < 0 || tokens < 1 || !(warmupSeconds >= 0) || !(maxWarmupSeconds >= warmupSeconds)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--reps and --tokens must be ≥ 1, --warmup and --warmup-seconds ≥ 0, --max-warmup-seconds ≥ --warmup-seconds");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--dropout: expected a rate in [0, 1), found " + dropout);
        }
        Dropout drop = new Dropout(dropout, 42);
        if (!List.of("step", "encoder", "decode").contains(workload)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "WORKLOAD: expected step, encoder or decode, found " + workload);
        }
        T5Config config;
        try {
            config = Workloads.shape(shape);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        List<WeightFormat> formats = weights == null ? List.of(WeightFormat.F32) : weights;
        if (formats.size() > 1 && heldTogetherBytes(config, formats) <= INTERLEAVE_MAX_BYTES) {
            return interleaved(config, formats, drop);
        }
        for (WeightFormat format : formats) {
            long t0 = System.nanoTime();
            Workloads w = new Workloads(config, 42, WeightsOption.options(format, keepF32));
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            report(w, format, loadSeconds, time(run(w, drop), warmup, warmupSeconds, maxWarmupSeconds, reps), false);
        }
        return 0;
    }

    private Runnable run(Workloads w, Dropout drop) {
        return switch (workload) {
            case "step" -> () -> w.step(checkpointing, drop);
            case "encoder" -> w::encoder;
            default -> () -> w.decode(tokens);
        };
    }

    /**
     * Several formats whose matrices fit together in {@link #INTERLEAVE_MAX_BYTES}: all are made first, each warms
     * up as usual, then all of them again in turns until the JIT is quiet (a later format's code can make the JIT
     * recompile what an earlier one ran), and the timed repetitions go round the formats, one each in turn, so
     * that the machine's drift over the run (memory speed on a shared VM: ±20% here) falls on every format alike.
     */
    private int interleaved(T5Config config, List<WeightFormat> formats, Dropout drop) {
        int n = formats.size();
        Workloads[] w = new Workloads[n];
        Runnable[] runs = new Runnable[n];
        double[] loadSeconds = new double[n];
        double[] warmSeconds = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            w[i] = new Workloads(config, 42, WeightsOption.options(formats.get(i), keepF32));
            loadSeconds[i] = (System.nanoTime() - t0) / 1e9;
            runs[i] = run(w[i], drop);
        }
        for (int i = 0; i < n; i++) {
            warmSeconds[i] = warmUp(runs[i], warmup, warmupSeconds, maxWarmupSeconds);
        }
        double together = warmUp(() -> {
            for (Runnable r : runs) {
                r.run();
            }
        }, Math.min(warmup, 1), 0, maxWarmupSeconds);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measured = jit != null && jit.isCompilationTimeMonitoringSupported();
        long jit0 = measured ? jit.getTotalCompilationTime() : 0;
        double[][] ms = inTurns(runs, reps);
        long jitMs = measured ? jit.getTotalCompilationTime() - jit0 : -1;
        for (int i = 0; i < n; i++) {
            report(w[i], formats.get(i), loadSeconds[i], new Timing(ms[i], warmSeconds[i] + together, jitMs), true);
        }
        return 0;
    }

    /** reps rounds of one run of each in turn; the times of runs[i], in ms, sorted, at [i]. */
    static double[][] inTurns(Runnable[] runs, int reps) {
        double[][] ms = new double[runs.length][reps];
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < runs.length; i++) {
                long t0 = System.nanoTime();
                runs[i].run();
                ms[i][r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        for (double[] m : ms) {
            Arrays.sort(m);
        }
        return ms;
    }

    /** Formats held at once and timed in turns when their matrices need at most this much together. */
    static final long INTERLEAVE_MAX_BYTES = 4L << 30;

    /** The bytes the model's tensors take held in each of the formats (all of them at once). */
    static long heldTogetherBytes(T5Config config, List<WeightFormat> formats) {
        long params = 0;
        for (long[] shape : T5Keys.expected(config).values()) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            params += n;
        }
        long bytes = 0;
        for (WeightFormat f : formats) {
            bytes += params * switch (f) {
                case F32, AS_STORED -> 4;                       // random weights are float32 as stored
                case BF16 -> 2;
                case INT8 -> 1;
            };
        }
        return bytes;
    }

    /** One result: a JSON object on one line, or two lines of text. */
    private void report(Workloads w, WeightFormat format, double loadSeconds, Timing t, boolean interleaved) {
        double[] sorted = t.sorted();
        double median = median(sorted);
        long rss = PeakMemory.peakRssMb();
        long heldMb = Math.round(w.model().heldBytes() / 1048576.0);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.printf(Locale.ROOT, "{\"workload\": \"%s\", \"shape\": \"%s\", \"weights\": \"%s\", \"checkpointing\": %b, \"dropout\": %s, \"reps\": %d, "
                            + "\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f%s, \"peak_rss_mb\": %d, \"weights_mb\": %d, \"load_s\": %.2f, "
                            + "\"kernels\": \"%s\", \"openblas_coretype\": \"%s\", \"cpu\": \"%s\", \"warmup_s\": %.1f, \"jit_ms\": %d, \"interleaved\": %b}%n",
                    workload, shape, format, checkpointing, dropout, reps, median, sorted[0], sorted[reps - 1],
                    workload.equals("decode") ? String.format(Locale.ROOT, ", \"ms_per_token\": %.3f, \"tokens\": %d", median / tokens, tokens) : "",
                    rss, heldMb, loadSeconds, w.model().kernels().name(), Machine.openBlasCoreType(), Machine.cpu(), t.warmupSeconds(), t.jitMs(), interleaved);
        } else {
            out.printf(Locale.ROOT, "%s %s %s%s: median %.1f ms (min %.1f, max %.1f, %d reps)%s; peak RSS %d MB%n", workload, shape, format,
                    (checkpointing ? " (checkpointing)" : "") + (dropout > 0 ? " (dropout " + dropout + ")" : ""), median, sorted[0], sorted[reps - 1], reps,
                    workload.equals("decode") ? String.format(Locale.ROOT, "; %.2f ms/token", median / tokens) : "", rss);
            out.printf(Locale.ROOT, "  (weights %d MB, made in %.1f s; after %.1f s of warm-up; the JIT compiled for %d ms during the timed repetitions%s; %s)%n",
                    heldMb, loadSeconds, t.warmupSeconds(), t.jitMs(), interleaved ? "; timed in turns with the other formats" : "", Machine.cpu());
        }
        out.flush();
    }

    /**
     * Times of the timed repetitions (sorted, ms), how long the warm-up took (s), and how long the JIT compiled
     * during the timed repetitions (ms; −1 where the JVM does not say).
     */
    record Timing(double[] sorted, double warmupSeconds, long jitMs) {
    }

    /** The JIT counts as quiet once it has compiled for under 1% of the last QUIET_SECONDS (and QUIET_RUNS runs). */
    private static final double QUIET_SECONDS = 3;
    private static final int QUIET_RUNS = 3;
    private static final double QUICK_MAX_WARMUP_SECONDS = 20;

    /**
     * {@code reps} timed runs after the warm-up: at least {@code warmup} runs and {@code minSeconds}, then more
     * until the JIT is quiet, or {@code maxSeconds} have passed. {@code warmup} 0: no warm-up at all (a run that
     * takes minutes, timed cold).
     */
    static Timing time(Runnable run, int warmup, double minSeconds, double maxSeconds, int reps) {
        double warmupSeconds = warmUp(run, warmup, minSeconds, maxSeconds);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measured = jit != null && jit.isCompilationTimeMonitoringSupported();
        long jit0 = measured ? jit.getTotalCompilationTime() : 0;
        double[] ms = Repetitions.timeSorted(run, reps);
        return new Timing(ms, warmupSeconds, measured ? jit.getTotalCompilationTime() - jit0 : -1);
    }

    /**
     * The warm-up: at least {@code warmup} runs and {@code minSeconds}, then more until the JIT is quiet, or
     * {@code maxSeconds} have passed ({@code warmup} 0: none at all). Returns the seconds it took.
     */
    static double warmUp(Runnable run, int warmup, double minSeconds, double maxSeconds) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measured = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        List<long[]> ends = new ArrayList<>();  // {nanoTime, JIT ms so far}: at the start and after each run
        ends.add(new long[]{start, measured ? jit.getTotalCompilationTime() : 0});
        int from = 0;                            // the window: ends[from ..], the runs of the last QUIET_SECONDS
        for (int i = 0; warmup > 0; i++) {
            run.run();
            long now = System.nanoTime();
            ends.add(new long[]{now, measured ? jit.getTotalCompilationTime() : 0});
            int last = ends.size() - 1;
            while (last - (from + 1) >= QUIET_RUNS && now - ends.get(from + 1)[0] >= QUIET_SECONDS * 1e9) {
                from++;
            }
            long[] first = ends.get(from);
            boolean quiet = !measured || (last - from >= QUIET_RUNS && now - first[0] >= QUIET_SECONDS * 1e9
                    && (ends.get(last)[1] - first[1]) * 1e6 < 0.01 * (now - first[0]));
            double elapsed = (now - start) / 1e9;
            if (i + 1 >= warmup && elapsed >= minSeconds && (quiet || elapsed >= maxSeconds)) {
                break;
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    static double median(double[] sorted) {
        return Repetitions.median(sorted);
    }

    private int quick() {
        PrintWriter out = spec.commandLine().getOut();
        Workloads w = new Workloads(Workloads.shape("t5-small"), 42);
        // each workload warms up until the JIT is quiet or for 20 s at most: under two minutes in all
        double step = median(time(() -> w.step(false), 2, 0, QUICK_MAX_WARMUP_SECONDS, 3).sorted());
        double enc = median(time(w::encoder, 1, 0, QUICK_MAX_WARMUP_SECONDS, 3).sorted());
        double dec = median(time(() -> w.decode(32), 1, 0, QUICK_MAX_WARMUP_SECONDS, 3).sorted()) / 32;
        out.printf(Locale.ROOT, "t5-small (random weights, B=8, 128 tokens + 100 prompt, 8 targets; kernels %s; %s)%n",
                w.model().kernels().name(), Machine.cpu());
        out.printf(Locale.ROOT, "  prompt-tuning step  %8.1f ms%n  encoder forward     %8.1f ms%n  greedy decode       %8.2f ms/token (B=1)%n"
                + "  peak RSS            %8d MB%n", step, enc, dec, PeakMemory.peakRssMb());
        return 0;
    }
}
