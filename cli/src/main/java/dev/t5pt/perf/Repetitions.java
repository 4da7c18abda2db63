package dev.t5pt.perf;

import java.util.Arrays;

/** Timed repetitions of a workload, shared by {@code ./t5pt bench} and the ONNX Runtime side of the benchmarks. */
public final class Repetitions {
    private Repetitions() {
    }

    /** The times of reps runs of run, in ms, sorted. */
    public static double[] timeSorted(Runnable run, int reps) {
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            run.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    /** The median of sorted values. */
    public static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
