package dev.t5pt.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The spark-submit entry point: {@code spark-submit --class dev.t5pt.spark.TuneJob t5pt-spark.jar <tune flags>} runs
 * {@code t5pt tune <tune flags>} with its gradients on the cluster spark-submit connected to (its --master).
 */
public final class TuneJob {
    private TuneJob() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true)));
    }

    /** The command's exit code; the master is spark-submit's (the spark.master property) unless --spark names one. */
    public static int run(String[] args, java.io.PrintWriter out, java.io.PrintWriter err) {
        List<String> a = new ArrayList<>(List.of("tune"));
        a.addAll(Arrays.asList(args));
        if (!a.contains("--spark")) {
            a.add("--spark");
            a.add(System.getProperty("spark.master", "local[*]"));
        }
        return dev.t5pt.cli.Main.run(a.toArray(String[]::new), out, err);
    }
}
