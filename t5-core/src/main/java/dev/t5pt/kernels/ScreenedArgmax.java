package dev.t5pt.kernels;

import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.nio.ByteBuffer;

import static dev.t5pt.kernels.VectorSupport.*;

/**
 * Greedy decoding's argmax of x·Wᵀ through the 8-bit screen of W ({@link QuantizedRows}, whose bound it
 * relies on): only rows whose upper bound reaches the best lower bound are computed in full, from W as held
 * (float32, or bfloat16 through the bfloat16 matVec's dot product).
 */
final class ScreenedArgmax {
    private ScreenedArgmax() {
    }

    /**
     * The screened pick (see {@link QuantizedRows} for the bound): a_o from the 8-bit rows for every o, m the
     * largest lower bound a_o − ‖x‖·bound[o]; a row whose upper bound a_o + ‖x‖·bound[o] is below m cannot hold the
     * maximum (its value is below that of m's row), so only the others, usually one or two, are computed in full,
     * with matVec's own dot product, in index order: the same values, the same first maximum. Non-finite values
     * anywhere: returns false, and the caller computes the full product instead.
     */
    static boolean argmaxOfProduct(INDArray x, Frozen w, QuantizedRows screen, INDArray scratch, int[] out) {
        int rows = (int) x.size(0);
        int in = (int) x.size(1);
        int v = w.rows();
        if (screen.rows != v || screen.cols != in) {
            throw new IllegalArgumentException("screen: expected the 8-bit copy of a [" + v + ", " + in + "] matrix, found ["
                    + screen.rows + ", " + screen.cols + "]");
        }
        ByteBuffer xb = HostMemory.bytes(x);
        boolean bf16 = w instanceof Frozen.Bf16;
        ByteBuffer wb = bf16 ? ((Frozen.Bf16) w).bits() : HostMemory.bytes(((Frozen.F32) w).array());
        ByteBuffer ab = HostMemory.bytes(scratch);
        int x0 = HostMemory.base(x);
        int w0 = bf16 ? 0 : HostMemory.base(((Frozen.F32) w).array());
        int a0 = HostMemory.base(scratch);
        int groups = v / SCREEN_ROWS;
        int chunks = Math.max(1, Math.min(groups, PARALLELISM * 16));
        ScreenPart[] parts = new ScreenPart[chunks];
        for (int r = 0; r < rows; r++) {
            int xr = x0 + r * in * 4;
            int ar = a0 + r * v * 4;
            double norm = Math.sqrt(sumOfSquares(xb, xr, in)) * (1 + 1e-9);
            int best = -1;
            if (Double.isFinite(norm)) {
                KernelTeam.run(chunks, c -> parts[c] = screenPart(xb, xr, screen, norm, ab, ar,
                        c == 0 ? 0 : (int) ((long) groups * c / chunks) * SCREEN_ROWS,
                        c == chunks - 1 ? v : (int) ((long) groups * (c + 1) / chunks) * SCREEN_ROWS));
                best = exactArgmax(parts, screen, norm, ab, ar, wb, w0, bf16, xb, xr);
            }
            if (best < 0) {                                          // non-finite somewhere: no screening
                return false;
            }
            out[r] = best;
        }
        return true;
    }

    /**
     * The first row holding the maximum of x·w_o among the screened parts' candidates, each computed in full with
     * matVec's dot product (float32 or bfloat16 rows at wb); -1 when the largest lower bound or a candidate's value
     * is not finite.
     */
    static int exactArgmax(ScreenPart[] parts, QuantizedRows screen, double norm, ByteBuffer ab, int ar,
                                   ByteBuffer wb, int w0, boolean bf16, ByteBuffer xb, int xr) {
        double m = Double.NEGATIVE_INFINITY;                         // the largest lower bound
        for (ScreenPart p : parts) {
            m = Math.max(m, p.lower);                                // NaN stays NaN
        }
        if (!(Math.abs(m) < 1e37)) {
            return -1;
        }
        int in = screen.cols;
        float[] lanes = new float[W];
        float[] xs = onHeapPairs(xb, xr, 1, in);                     // matVec's order
        int best = -1;
        float max = 0;
        for (ScreenPart p : parts) {
            int n = p.candidates == null ? p.to - p.from : p.count;
            for (int i = 0; i < n; i++) {
                int o = p.candidates == null ? p.from + i : p.candidates[i];
                if (ab.getFloat(ar + o * 4) + norm * screen.bound[o] < m) {
                    continue;                                        // its value is below m's row's
                }
                float y = bf16 ? CompactKernels.dotBf16(wb, o * in * 2, xs, 0, in, lanes)
                        : dotPairs(wb, w0 + o * in * 4, xs, 0, in, lanes);
                if (Float.isNaN(y)) {
                    return -1;
                }
                if (best < 0 || y > max) {
                    best = o;
                    max = y;
                }
            }
        }
        return best;
    }

    /**
     * One part of a screen over rows [from, to): the largest lower bound (NaN if some approximation is not
     * finite), and the rows whose upper bound reached the running largest lower bound when they were seen, in
     * order (a superset of the part's rows that can win); candidates null when there were too many to keep.
     */
    record ScreenPart(int from, int to, double lower, int[] candidates, int count) {
    }

    static final int SCREEN_KEEP = 64;

    /** Rows of the 8-bit screen per pass over x: a group of its layout (see {@link CompactKernels#dotInt8Group}). */
    static final int SCREEN_ROWS = CompactKernels.GROUP;

    /** a[o] = fl(s_o·Σ x·q_o) for rows [from, to) into the scratch row at ar, and the part's candidates. */
    static ScreenPart screenPart(ByteBuffer xb, int xr, QuantizedRows screen, double norm, ByteBuffer ab, int ar,
                                         int from, int to) {
        int in = screen.cols;
        double best = Double.NEGATIVE_INFINITY;
        int[] kept = new int[SCREEN_KEEP];
        int count = 0;
        float[] dots = new float[SCREEN_ROWS];
        float[] x = onHeap(xb, xr, in);
        for (int o = from; o < to; o += SCREEN_ROWS) {
            int rows = Math.min(SCREEN_ROWS, to - o);
            if (rows == SCREEN_ROWS) {
                CompactKernels.dotInt8Group(x, 0, screen.q, o * in, in, dots);
            } else {
                for (int i = 0; i < rows; i++) {
                    dots[i] = CompactKernels.dotInt8(x, 0, screen.q, screen.rows, in, o + i);
                }
            }
            for (int i = 0; i < rows; i++) {
                float a = screen.scale[o + i] * dots[i];
                ab.putFloat(ar + (o + i) * 4, a);
                if (!Float.isFinite(a)) {
                    return new ScreenPart(from, to, Double.NaN, null, 0);
                }
                double slack = norm * screen.bound[o + i];
                best = Math.max(best, a - slack);
                if (a + slack >= best && kept != null) {
                    if (count == SCREEN_KEEP) {
                        kept = null;
                    } else {
                        kept[count++] = o + i;
                    }
                }
            }
        }
        return new ScreenPart(from, to, best, kept, count);
    }

    /** Σ x[i]² over n floats in double: the norm in the screening bound. */
    static double sumOfSquares(ByteBuffer x, int at, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double e = x.getFloat(at + i * 4);
            s += e * e;
        }
        return s;
    }
}
