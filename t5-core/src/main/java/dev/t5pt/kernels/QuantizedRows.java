package dev.t5pt.kernels;

import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.Int8Layout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;

/**
 * An 8-bit copy of a weight matrix W [V, D] with a proven error bound per row, for screening which rows of
 * x·Wᵀ can hold the maximum without reading W's 4·V·D bytes (greedy decoding's language-model head: 66 MB
 * per token at T5-small, a third of a token's memory traffic).
 *
 * <p>Row o is approximated by s_o·q_o, s_o = max|w_o|/127 and q_o = round(w_o/s_o) in [−127, 127]. For any x,
 * let a_o = fl(s_o·fl(Σᵢ xᵢ·q_oi)) be the approximation evaluated in float (any summation order) and y_o any float
 * evaluation of Σᵢ xᵢ·w_oi (any order, D roundings at most on any path). Then
 * <pre>
 *   |y_o − a_o| ≤ |y_o − x·w_o| + |x·(w_o − s_o q_o)| + |x·s_o q_o − a_o|
 *              ≤ ‖x‖₂ · (γ_D‖w_o‖₂ + ‖w_o − s_o q_o‖₂ + γ_{D+1}‖s_o q_o‖₂) ≤ ‖x‖₂ · bound[o]
 * </pre>
 * (Cauchy–Schwarz, and the standard dot-product bound |fl(Σ) − Σ| ≤ γ_n Σ|xᵢwᵢ| with γ_n = n·u/(1 − n·u),
 * u = 2⁻²⁴). bound[o] is that factor, computed in double and widened by 10⁻⁶; rows with a non-finite weight get
 * +∞ (always candidates). Legend: V rows (vocabulary), D columns (d_model).
 */
public final class QuantizedRows {
    private static final double UNIT_ROUNDOFF = 0x1p-24;
    private static final double WIDEN = 1 + 1e-6;

    final int rows;
    final int cols;
    final byte[] q;          // [V, D] in Int8Layout
    final float[] scale;     // [V]
    final double[] bound;    // [V]

    private QuantizedRows(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.q = new byte[Math.multiplyExact(rows, cols)];
        this.scale = new float[rows];
        this.bound = new double[rows];
    }

    /** The 8-bit copy of a held matrix (float32, or bfloat16 through a float32 upcast made for the purpose). */
    public static QuantizedRows of(Frozen w, Kernels kernels) {
        if (w instanceof Frozen.F32 f) {
            return of(f.array());
        }
        INDArray full = Nd4j.createUninitialized(DataType.FLOAT, w.rows(), w.cols());
        kernels.upcast(w, 0, w.rows(), full, 0);
        QuantizedRows r = of(full);
        full.close();
        return r;
    }

    /** The 8-bit copy of w [V, D] (FLOAT, 'c'-ordered, contiguous) and its bounds. */
    public static QuantizedRows of(INDArray w) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException("expected a matrix [V, D], found shape " + java.util.Arrays.toString(w.shape()));
        }
        QuantizedRows r = new QuantizedRows((int) w.size(0), (int) w.size(1));
        ByteBuffer wb = HostMemory.bytes(w);
        int w0 = HostMemory.base(w);
        int d = r.cols;
        double gammaExact = gamma(d);
        double gammaApprox = gamma(d + 1);
        int parts = Math.max(1, Math.min(64, r.rows / 256));
        KernelTeam.run(parts, part -> {
            int from = (int) ((long) r.rows * part / parts);
            int to = (int) ((long) r.rows * (part + 1) / parts);
            for (int o = from; o < to; o++) {
                r.quantizeRow(wb, w0 + o * d * 4, o, gammaExact, gammaApprox);
            }
        });
        return r;
    }

    private void quantizeRow(ByteBuffer wb, int at, int o, double gammaExact, double gammaApprox) {
        float max = 0;
        boolean finite = true;
        for (int i = 0; i < cols; i++) {
            float v = wb.getFloat(at + i * 4);
            finite &= Float.isFinite(v);
            max = Math.max(max, Math.abs(v));
        }
        if (!finite) {
            scale[o] = 0;
            bound[o] = Double.POSITIVE_INFINITY;
            return;
        }
        float s = max == 0 ? 1 : max / 127;
        double err2 = 0;
        double w2 = 0;
        double sq2 = 0;
        for (int i = 0; i < cols; i++) {
            float v = wb.getFloat(at + i * 4);
            int k = Math.max(-127, Math.min(127, Math.round(v / s)));
            q[Int8Layout.offset(o, i, rows, cols)] = (byte) k;
            double approx = (double) s * k;    // exact in double: a float times a small integer
            err2 += (v - approx) * (v - approx);
            w2 += (double) v * v;
            sq2 += approx * approx;
        }
        scale[o] = s;
        bound[o] = (Math.sqrt(err2) + gammaExact * Math.sqrt(w2) + gammaApprox * Math.sqrt(sq2)) * WIDEN;
    }

    private static double gamma(int n) {
        return n * UNIT_ROUNDOFF / (1 - n * UNIT_ROUNDOFF);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }
}
