package dev.t5pt.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link AttentionBenchmark} and prints its results as rates: GFLOP/s of each cell's matmul flops and
 * the percentage of the sgemm rate JMH measured in the same run, with the same parameters (the issue's
 * "≥ 60% of the same-run sgemm"). Any JMH option can be given (e.g. {@code -p kernels=vector,nd4j}, {@code -f 2},
 * {@code -wi 3 -i 5}, or a regexp of the methods to run, such as {@code "AttentionBenchmark.(sgemm|forwardMatmuls)"});
 * without {@code -p shape=...}, the T5-small and T5-base training shapes.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.t5pt.bench.AttentionRates -p kernels=vector
 * </pre>
 */
public final class AttentionRates {
    private AttentionRates() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli)
                .mode(Mode.AverageTime)               // the scores below are ms per call
                .timeUnit(TimeUnit.MILLISECONDS);
        if (cli.getIncludes().isEmpty()) {
            options.include(AttentionBenchmark.class.getName() + "\\.");
        }
        if (!cli.getParameter("shape").hasValue()) {
            options.param("shape", "8:8:228:228", "12:8:228:228");
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        // (kernels, shape) → method → ms per call
        Map<String, Map<String, Double>> ms = new LinkedHashMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            String key = r.getParams().getParam("kernels") + " " + r.getParams().getParam("shape");
            ms.computeIfAbsent(key, x -> new TreeMap<>()).put(method, r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println("| kernels | shape (H:B:Lq:Lk) | method | ms per call | GFLOP/s | % of same-run sgemm |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<String, Map<String, Double>> e : ms.entrySet()) {
            String[] ks = e.getKey().split(" ");
            Double sgemmMs = e.getValue().get("sgemm");
            double sgemm = sgemmMs == null ? Double.NaN : AttentionBenchmark.flops("sgemm", ks[1]) / sgemmMs / 1e6;
            for (Map.Entry<String, Double> m : e.getValue().entrySet()) {
                double gflops = AttentionBenchmark.flops(m.getKey(), ks[1]) / m.getValue() / 1e6;
                String pct = m.getKey().equals("sgemm") || Double.isNaN(sgemm) ? ""
                        : String.format("%.0f%%", 100 * gflops / sgemm);
                System.out.printf("| %s | %s | %s | %.3f | %.0f | %s |%n", ks[0], ks[1], m.getKey(), m.getValue(), gflops, pct);
            }
        }
    }
}
