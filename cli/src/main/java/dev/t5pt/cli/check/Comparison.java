package dev.t5pt.cli.check;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares computed tensors with expected ones under the fixtures' rules: integers and pure gathers must
 * match exactly; floats by norm-wise relative error max|a − e| / max|e| ≤ 1e-4.
 */
public final class Comparison {
    public static final double TOLERANCE = 1e-4;
    /** Float tensors that are gathers of stored values, hence exact. */
    static final Set<String> EXACT_FLOATS = Set.of("embedded_input", "enc_position_bias", "dec_position_bias");

    private Comparison() {
    }

    /** One tensor's verdict; error is the norm-wise error (0/1 mismatch count for exact tensors). */
    public record Row(String name, double error, double tolerance, String problem) {
        public boolean passed() {
            return problem == null && error <= tolerance;
        }
    }

    /** Compares every name present in both maps; names only in expected are reported as missing. */
    public static List<Row> compare(Map<String, INDArray> actual, Map<String, INDArray> expected) {
        List<Row> rows = new ArrayList<>();
        for (var e : expected.entrySet()) {
            String name = e.getKey();
            INDArray want = e.getValue();
            INDArray got = actual.get(name);
            if (got == null) {
                continue;
            }
            rows.add(compareOne(name, got, want));
        }
        return rows;
    }

    public static Row compareOne(String name, INDArray got, INDArray want) {
        long[] gs = got.shape();
        long[] ws = want.shape();
        if (got.length() != want.length() || (!Arrays.equals(gs, ws) && !(got.length() == 1 && want.length() == 1))) {
            return new Row(name, Double.POSITIVE_INFINITY, 0, "shape " + Arrays.toString(gs) + " != " + Arrays.toString(ws));
        }
        boolean exact = want.dataType().isIntType() || EXACT_FLOATS.contains(name);
        double[] a = got.dup('c').data().asDouble();
        double[] w = want.dup('c').data().asDouble();
        if (exact) {
            int mismatches = 0;
            for (int i = 0; i < a.length; i++) {
                mismatches += a[i] == w[i] ? 0 : 1;
            }
            return new Row(name, mismatches, 0, mismatches == 0 ? null : mismatches + " of " + a.length + " differ");
        }
        return new Row(name, normwiseError(a, w), TOLERANCE, null);
    }

    public static double normwiseError(double[] a, double[] w) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - w[i]));
            maxRef = Math.max(maxRef, Math.abs(w[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
