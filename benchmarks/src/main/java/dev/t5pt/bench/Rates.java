package dev.t5pt.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs the kernel benchmarks and prints their results as rates: for {@link AttentionBenchmark}, GFLOP/s of
 * each cell's matmul flops and the percentage of the sgemm rate JMH measured in the same run with the same
 * parameters (the "≥ 60% of the same-run sgemm"); for {@link RowKernelsBenchmark}, GB/s of the floats
 * read and written; other benchmarks get their time only. Any JMH option can be given (e.g.
 * {@code -p kernels=vector}, {@code -f 2}, {@code -wi 3 -i 5}, or a regexp of the benchmarks to run, such as
 * {@code "AttentionBenchmark.(sgemm|forwardMatmuls)"}, which then run with their own parameter sets); with no
 * regexp, both classes, the attention at the T5-small and T5-base training shapes.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.t5pt.bench.Rates -p kernels=vector
 * </pre>
 */
public final class Rates {
    private Rates() {
    }

    /** One parameter set of one benchmark class: its simple name, kernel set, and shape (or model). */
    private record Cell(String benchmark, String kernels, String size) {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli;
        try {
            cli = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("error: " + e.getMessage() + " (Rates takes JMH's options: java -jar benchmarks.jar -h)");
            System.exit(2);
            return;
        }
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli)
                .mode(Mode.AverageTime)               // the scores below are ms per call
                .timeUnit(TimeUnit.MILLISECONDS);
        if (cli.getIncludes().isEmpty()) {
            options.include(AttentionBenchmark.class.getName() + "\\.");
            options.include(RowKernelsBenchmark.class.getName() + "\\.");
            if (!cli.getParameter("shape").hasValue()) {
                options.param("shape", "8:8:228:228", "12:8:228:228");  // the attention's training shapes
            }
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        Map<Cell, Map<String, Double>> ms = new LinkedHashMap<>();  // cell → method → ms per call
        for (RunResult r : results) {
            String[] name = r.getParams().getBenchmark().split("\\.");
            String cls = name[name.length - 2];
            String size = cls.equals(RowKernelsBenchmark.class.getSimpleName()) ? r.getParams().getParam("model")
                    : r.getParams().getParam("shape");
            Cell cell = new Cell(cls, Objects.toString(r.getParams().getParam("kernels"), "-"), Objects.toString(size, "-"));
            ms.computeIfAbsent(cell, x -> new LinkedHashMap<>()).put(name[name.length - 1], r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println("| benchmark | kernels | shape | method | ms per call | rate | % of same-run sgemm |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Map.Entry<Cell, Map<String, Double>> e : ms.entrySet()) {
            Cell c = e.getKey();
            boolean attention = c.benchmark().equals(AttentionBenchmark.class.getSimpleName());
            boolean rows = c.benchmark().equals(RowKernelsBenchmark.class.getSimpleName());
            Double sgemmMs = e.getValue().get("sgemm");
            double sgemm = sgemmMs == null ? Double.NaN : AttentionBenchmark.flops("sgemm", c.size()) / sgemmMs / 1e6;
            for (Map.Entry<String, Double> m : e.getValue().entrySet()) {
                String method = m.getKey();
                double perMs = attention ? AttentionBenchmark.flops(method, c.size()) / m.getValue() / 1e6  // G per s
                        : rows ? RowKernelsBenchmark.bytes(method, c.size()) / m.getValue() / 1e6 : Double.NaN;
                String rate = attention ? String.format("%.3g GFLOP/s", perMs)
                        : rows ? String.format("%.3g GB/s", perMs) : "";
                String pct = !attention || method.equals("sgemm") || Double.isNaN(sgemm) ? ""
                        : String.format("%.0f%%", 100 * perMs / sgemm);
                System.out.printf("| %s | %s | %s | %s | %.3f | %s | %s |%n", c.benchmark(), c.kernels(), c.size(),
                        method, m.getValue(), rate, pct);
            }
        }
    }
}
