package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.nio.ByteBuffer;

import static dev.t5pt.kernels.VectorSupport.*;

/**
 * Row operations of the Vector API kernels, each forward beside its backward: RMS norm, gated tanh-GELU, ReLU,
 * residual sums, dropout, row gathers and copies, the few-row product (matVec), argmax. Shapes: {@link Kernels}.
 */
final class RowKernels {
    private RowKernels() {
    }

    static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    static void matVec(INDArray x, INDArray w, INDArray y) {
        int rows = (int) x.size(0);
        int in = (int) x.size(1);
        int out = (int) w.size(0);
        HostFloats xs = HostFloats.of(x);
        HostFloats ws = HostFloats.of(w);
        HostFloats ys = HostFloats.of(y);
        int chunks = Math.min(PARALLELISM * 4, Math.max(1, out / 64));
        KernelTeam.run(chunks, c -> {
            int from = (int) ((long) out * c / chunks);
            int to = (int) ((long) out * (c + 1) / chunks);
            float[] lanes = new float[W];
            for (int o = from; o < to; o++) {
                for (int r = 0; r < rows; r++) {
                    ys.set(r * out + o, dot(ws, o * in, xs, r * in, in, lanes));
                }
            }
        });
    }

    static void rmsNorm(INDArray x, INDArray w, float eps, INDArray out) {
        int d = (int) x.size(1);
        int rows = (int) x.size(0);
        HostFloats xs = HostFloats.of(x);
        HostFloats ws = HostFloats.of(w);
        HostFloats os = HostFloats.of(out);
        parallel(rows, 1, d, (from, to) -> {
            float[] lanes = new float[W];  // a vector passed to a call C2 does not inline is boxed: see VectorMath.sum
            for (int r = from; r < to; r++) {
                int row = r * d;
                float inv = (float) (1.0 / Math.sqrt(sumSquares(xs, row, d, lanes) / d + eps));
                int j = 0;
                for (; j <= d - W; j += W) {
                    os.store(xs.load(row + j).mul(inv).mul(ws.load(j)), row + j);
                }
                for (; j < d; j++) {
                    os.set(row + j, ws.get(j) * (xs.get(row + j) * inv));
                }
            }
        });
    }

    static void rmsNormBackward(INDArray x, INDArray w, float eps, INDArray dOut, INDArray dx, boolean accumulate) {
        int d = (int) x.size(1);
        int rows = (int) x.size(0);
        HostFloats xs = HostFloats.of(x);
        HostFloats ws = HostFloats.of(w);
        HostFloats gs = HostFloats.of(dOut);
        HostFloats ds = HostFloats.of(dx);
        parallel(rows, 1, d, (from, to) -> {
            float[] lanes = new float[W];  // a vector passed to a call C2 does not inline is boxed: see VectorMath.sum
            for (int r = from; r < to; r++) {
                int row = r * d;
                float inv = (float) (1.0 / Math.sqrt(sumSquares(xs, row, d, lanes) / d + eps));
                // mean(g ⊙ x) with g = w ⊙ dOut
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j <= d - W; j += W) {
                    acc = gs.load(row + j).mul(ws.load(j)).fma(xs.load(row + j), acc);
                }
                acc.intoArray(lanes, 0);
                float gx = VectorMath.sum(lanes);
                for (; j < d; j++) {
                    gx += gs.get(row + j) * ws.get(j) * xs.get(row + j);
                }
                float c = inv * inv * inv * (gx / d);
                j = 0;
                for (; j <= d - W; j += W) {
                    FloatVector g = gs.load(row + j).mul(ws.load(j));
                    FloatVector v = g.mul(inv).sub(xs.load(row + j).mul(c));
                    if (accumulate) {
                        v = v.add(ds.load(row + j));
                    }
                    ds.store(v, row + j);
                }
                for (; j < d; j++) {
                    float v = gs.get(row + j) * ws.get(j) * inv - xs.get(row + j) * c;
                    ds.set(row + j, accumulate ? ds.get(row + j) + v : v);
                }
            }
        });
    }

    /** Σ x² over n floats from element i, in a fixed order; lanes: W floats of scratch. */
    static float sumSquares(HostFloats x, int i, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - W; j += W) {
            FloatVector v = x.load(i + j);
            acc = v.fma(v, acc);
        }
        acc.intoArray(lanes, 0);
        float s = VectorMath.sum(lanes);
        for (; j < n; j++) {
            float v = x.get(i + j);
            s += v * v;
        }
        return s;
    }

    static void reluBackward(INDArray y, INDArray dy) {
        HostFloats ys = HostFloats.of(y);
        HostFloats ds = HostFloats.of(dy);
        int n = (int) y.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            FloatVector zero = FloatVector.zero(S);
            for (; j <= hi - W; j += W) {
                var positive = ys.load(j).compare(VectorOperators.GT, 0f);
                // dy where y > 0, else 0 (NaN too); not positive.not(): JDK 17 has no AVX-512 intrinsic for
                // a mask's not, and its Java fallback allocates every vector of the loop (~2 GB per step)
                ds.store(zero.blend(ds.load(j), positive), j);
            }
            for (; j < hi; j++) {
                if (!(ys.get(j) > 0f)) {
                    ds.set(j, 0f);
                }
            }
        });
    }

    static void dropout(INDArray x, float rate, long seed, long offset) {
        HostFloats xs = HostFloats.of(x);
        // each element's mask depends on its index alone, so any split gives the same result
        parallel((int) x.length(), L.length(), 4, (from, to) -> dropoutRange(xs, from, to, rate, seed, offset));
    }

    /**
     * Dropout of elements from..to-1 of b. Dropout.keep's test u ≥ rate, u = (h >>> 40)·2⁻²⁴ exactly, is
     * (h >>> 40) ≥ ⌈rate·2²⁴⌉ in integers. The hash runs in 64-bit lanes and lands in a long[], the floats are
     * masked in scalar code: a second float species (8 floats per 8 hashes, 1.2 instead of 4.5 ms for
     * [64, 228, 228]) took C2's Vector API intrinsics away from the other kernels, whose type profiles then saw
     * both, and a training step allocated GBs.
     */
    static void dropoutRange(HostFloats b, int from, int to, float rate, long seed, long offset) {
        float scale = 1f / (1f - rate);
        long threshold = (long) Math.ceil(rate * 0x1p24);
        long[] h = new long[L.length()];
        LongVector iota = LongVector.fromArray(L, IOTA, 0);
        int i = from;
        for (; i <= to - h.length; i += h.length) {
            mix(iota.add(i + offset).mul(0xD1B54A32D192ED03L).lanewise(VectorOperators.XOR, seed))
                    .lanewise(VectorOperators.LSHR, 40).intoArray(h, 0);
            for (int l = 0; l < h.length; l++) {
                b.set(i + l, h[l] >= threshold ? b.get(i + l) * scale : 0f);
            }
        }
        for (; i < to; i++) {
            b.set(i, dev.t5pt.model.Dropout.keep(seed, i + offset, rate) ? b.get(i) * scale : 0f);
        }
    }

    /** splitmix64's finalizer in each lane (Dropout.mix). */
    static LongVector mix(LongVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
    }

    static void add(INDArray x, INDArray y, INDArray out) {
        HostFloats xs = HostFloats.of(x);
        HostFloats ys = HostFloats.of(y);
        HostFloats os = HostFloats.of(out);
        int n = (int) x.length();
        if (y.length() != n || out.length() != n) {
            throw new IllegalArgumentException("add: shapes " + java.util.Arrays.toString(x.shape()) + ", "
                    + java.util.Arrays.toString(y.shape()) + " -> " + java.util.Arrays.toString(out.shape()));
        }
        parallel(n, W, 1, (lo, hi) -> addRange(xs.bytes(), xs.at(lo), ys.bytes(), ys.at(lo), os.bytes(), os.at(lo), hi - lo));
    }

    /** out[..n) = x[..n) + y[..n) for n floats at the given byte offsets (out may be x or y). */
    static void addRange(ByteBuffer xb, int xAt, ByteBuffer yb, int yAt, ByteBuffer ob, int oAt, int n) {
        int j = 0;
        for (; j <= n - W; j += W) {
            FloatVector.fromByteBuffer(S, xb, xAt + j * 4, LE).add(FloatVector.fromByteBuffer(S, yb, yAt + j * 4, LE))
                    .intoByteBuffer(ob, oAt + j * 4, LE);
        }
        for (; j < n; j++) {
            ob.putFloat(oAt + j * 4, xb.getFloat(xAt + j * 4) + yb.getFloat(yAt + j * 4));
        }
    }

    static void relu(INDArray x) {
        HostFloats xs = HostFloats.of(x);
        int n = (int) x.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            for (; j <= hi - W; j += W) {
                xs.store(xs.load(j).max(0f), j);
            }
            for (; j < hi; j++) {
                xs.set(j, Math.max(0f, xs.get(j)));
            }
        });
    }

    static void geluGate(INDArray gate, INDArray linear, INDArray out) {
        HostFloats gs = HostFloats.of(gate);
        HostFloats ls = HostFloats.of(linear);
        HostFloats os = HostFloats.of(out);
        int n = (int) gate.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            for (; j <= hi - W; j += W) {
                FloatVector g = gs.load(j);
                FloatVector inner = g.mul(g).mul(g).mul(0.044715f).add(g).mul(SQRT_2_OVER_PI);
                FloatVector act = VectorMath.tanh(inner).add(1f).mul(g).mul(0.5f);
                os.store(act.mul(ls.load(j)), j);
            }
            for (; j < hi; j++) {
                float g = gs.get(j);
                float inner = (g * g * g * 0.044715f + g) * SQRT_2_OVER_PI;
                float act = (VectorMath.tanh(inner) + 1f) * g * 0.5f;
                os.set(j, act * ls.get(j));
            }
        });
    }

    static void geluGateBackward(INDArray gate, INDArray linear, INDArray dOut, INDArray dGate, INDArray dLinear) {
        HostFloats gs = HostFloats.of(gate);
        HostFloats ls = HostFloats.of(linear);
        HostFloats os = HostFloats.of(dOut);
        HostFloats dgs = HostFloats.of(dGate);
        HostFloats dls = HostFloats.of(dLinear);
        int n = (int) gate.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            for (; j <= hi - W; j += W) {
                FloatVector g = gs.load(j);
                FloatVector g2 = g.mul(g);
                FloatVector t = VectorMath.tanh(g2.mul(0.044715f).add(1f).mul(g).mul(SQRT_2_OVER_PI));
                FloatVector onePlusT = t.add(1f);
                FloatVector act = onePlusT.mul(g).mul(0.5f);
                // gelu'(g) = ½(1 + t) + ½·g·(1 − t²)·√(2/π)·(1 + 3·0.044715·g²)
                FloatVector du = g2.mul(3 * 0.044715f).add(1f).mul(SQRT_2_OVER_PI);
                FloatVector deriv = t.mul(t).neg().add(1f).mul(g).mul(du).mul(0.5f).add(onePlusT.mul(0.5f));
                FloatVector dout = os.load(j);
                dgs.store(dout.mul(ls.load(j)).mul(deriv), j);
                dls.store(dout.mul(act), j);
            }
            for (; j < hi; j++) {
                float g = gs.get(j);
                float t = VectorMath.tanh((g * g * 0.044715f + 1f) * g * SQRT_2_OVER_PI);
                float act = (t + 1f) * g * 0.5f;
                float du = (g * g * 3 * 0.044715f + 1f) * SQRT_2_OVER_PI;
                float deriv = (1f - t * t) * g * du * 0.5f + (1f + t) * 0.5f;
                float dout = os.get(j);
                dgs.set(j, dout * ls.get(j) * deriv);
                dls.set(j, dout * act);
            }
        });
    }

    static void gatherRows(INDArray table, int[] ids, INDArray dst, long dstRow) {
        int d = (int) table.size(1);
        HostFloats ts = HostFloats.of(table);
        HostFloats ds = HostFloats.of(dst);
        int first = (int) (dstRow * d);
        for (int i = 0; i < ids.length; i++) {
            ds.copy(first + i * d, ts, ids[i] * d, d);
        }
    }

    static void copyRows(INDArray src, INDArray dst, long dstRow) {
        HostFloats.of(dst).copy((int) (dstRow * dst.size(1)), HostFloats.of(src), 0, (int) src.length());
    }

    static void argmaxRows(INDArray x, int[] out) {
        int rows = (int) x.size(0);
        int v = (int) x.size(1);
        HostFloats xs = HostFloats.of(x);
        for (int r = 0; r < rows; r++) {
            int row = r * v;
            int best = 0;
            float max = xs.get(row);
            for (int j = 1; j < v; j++) {
                float e = xs.get(row + j);
                if (e > max) {
                    max = e;
                    best = j;
                }
            }
            out[r] = best;
        }
    }
}
