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

    /** y = x·Wᵀ for a few rows, each value summed in {@link VectorSupport#dotPairs}'s order; x [N, in], W [out, in]. */
    static void matVec(INDArray x, INDArray w, INDArray y) {
        int rows = (int) x.size(0);
        int in = (int) x.size(1);
        int out = (int) w.size(0);
        ByteBuffer xb = HostMemory.bytes(x);
        ByteBuffer wb = HostMemory.bytes(w);
        ByteBuffer yb = HostMemory.bytes(y);
        int x0 = HostMemory.base(x);
        int w0 = HostMemory.base(w);
        int y0 = HostMemory.base(y);
        int chunks = Math.min(PARALLELISM * 4, Math.max(1, out / 64));
        float[] xs = onHeapPairs(xb, x0, rows, in);                    // [rows, in], pair order; read by all parts
        KernelTeam.run(chunks, c -> {
            int from = (int) ((long) out * c / chunks);
            int to = (int) ((long) out * (c + 1) / chunks);
            float[] lanes = new float[W];
            for (int o = from; o < to; o++) {
                int wr = w0 + o * in * 4;
                for (int r = 0; r < rows; r++) {
                    yb.putFloat(y0 + (r * out + o) * 4, dotPairs(wb, wr, xs, r * in, in, lanes));
                }
            }
        });
    }

    static void rmsNorm(INDArray x, INDArray w, float eps, INDArray out) {
        int d = (int) x.size(1);
        int rows = (int) x.size(0);
        ByteBuffer xb = HostMemory.bytes(x);
        ByteBuffer wb = HostMemory.bytes(w);
        ByteBuffer ob = HostMemory.bytes(out);
        int x0 = HostMemory.base(x);
        int w0 = HostMemory.base(w);
        int o0 = HostMemory.base(out);
        parallel(rows, 1, d, (from, to) -> {
            float[] lanes = new float[W];  // a vector passed to a call C2 does not inline is boxed: see VectorMath.sum
            for (int r = from; r < to; r++) {
                int xr = x0 + r * d * 4;
                int or = o0 + r * d * 4;
                float ss = sumSquares(xb, xr, d, lanes);
                float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
                int j = 0;
                for (; j <= d - W; j += W) {
                    FloatVector xv = FloatVector.fromByteBuffer(S, xb, xr + j * 4, LE);
                    FloatVector wv = FloatVector.fromByteBuffer(S, wb, w0 + j * 4, LE);
                    xv.mul(inv).mul(wv).intoByteBuffer(ob, or + j * 4, LE);
                }
                for (; j < d; j++) {
                    ob.putFloat(or + j * 4, wb.getFloat(w0 + j * 4) * (xb.getFloat(xr + j * 4) * inv));
                }
            }
        });
    }

    static void rmsNormBackward(INDArray x, INDArray w, float eps, INDArray dOut, INDArray dx, boolean accumulate) {
        int d = (int) x.size(1);
        int rows = (int) x.size(0);
        ByteBuffer xb = HostMemory.bytes(x);
        ByteBuffer wb = HostMemory.bytes(w);
        ByteBuffer gb = HostMemory.bytes(dOut);
        ByteBuffer db = HostMemory.bytes(dx);
        int x0 = HostMemory.base(x);
        int w0 = HostMemory.base(w);
        int g0 = HostMemory.base(dOut);
        int d0 = HostMemory.base(dx);
        parallel(rows, 1, d, (from, to) -> {
            float[] lanes = new float[W];  // a vector passed to a call C2 does not inline is boxed: see VectorMath.sum
            for (int r = from; r < to; r++) {
                int xr = x0 + r * d * 4;
                int gr = g0 + r * d * 4;
                int dr = d0 + r * d * 4;
                float inv = (float) (1.0 / Math.sqrt(sumSquares(xb, xr, d, lanes) / d + eps));
                // mean(g ⊙ x) with g = w ⊙ dOut
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j <= d - W; j += W) {
                    FloatVector g = FloatVector.fromByteBuffer(S, gb, gr + j * 4, LE)
                            .mul(FloatVector.fromByteBuffer(S, wb, w0 + j * 4, LE));
                    acc = g.fma(FloatVector.fromByteBuffer(S, xb, xr + j * 4, LE), acc);
                }
                acc.intoArray(lanes, 0);
                float gx = VectorMath.sum(lanes);
                for (; j < d; j++) {
                    gx += gb.getFloat(gr + j * 4) * wb.getFloat(w0 + j * 4) * xb.getFloat(xr + j * 4);
                }
                float c = inv * inv * inv * (gx / d);
                j = 0;
                for (; j <= d - W; j += W) {
                    FloatVector g = FloatVector.fromByteBuffer(S, gb, gr + j * 4, LE)
                            .mul(FloatVector.fromByteBuffer(S, wb, w0 + j * 4, LE));
                    FloatVector v = g.mul(inv).sub(FloatVector.fromByteBuffer(S, xb, xr + j * 4, LE).mul(c));
                    if (accumulate) {
                        v = v.add(FloatVector.fromByteBuffer(S, db, dr + j * 4, LE));
                    }
                    v.intoByteBuffer(db, dr + j * 4, LE);
                }
                for (; j < d; j++) {
                    float v = gb.getFloat(gr + j * 4) * wb.getFloat(w0 + j * 4) * inv - xb.getFloat(xr + j * 4) * c;
                    db.putFloat(dr + j * 4, accumulate ? db.getFloat(dr + j * 4) + v : v);
                }
            }
        });
    }

    static float sumSquares(ByteBuffer b, int at, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - W; j += W) {
            FloatVector v = FloatVector.fromByteBuffer(S, b, at + j * 4, LE);
            acc = v.fma(v, acc);
        }
        acc.intoArray(lanes, 0);
        float s = VectorMath.sum(lanes);
        for (; j < n; j++) {
            float v = b.getFloat(at + j * 4);
            s += v * v;
        }
        return s;
    }

    static void reluBackward(INDArray y, INDArray dy) {
        ByteBuffer yb = HostMemory.bytes(y);
        ByteBuffer db = HostMemory.bytes(dy);
        int y0 = HostMemory.base(y);
        int d0 = HostMemory.base(dy);
        int n = (int) y.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            FloatVector zero = FloatVector.zero(S);
            for (; j <= hi - W; j += W) {
                var positive = FloatVector.fromByteBuffer(S, yb, y0 + j * 4, LE).compare(VectorOperators.GT, 0f);
                // dy where y > 0, else 0 (NaN too); not positive.not(): JDK 17 has no AVX-512 intrinsic for
                // a mask's not, and its Java fallback allocates every vector of the loop (~2 GB per step)
                zero.blend(FloatVector.fromByteBuffer(S, db, d0 + j * 4, LE), positive).intoByteBuffer(db, d0 + j * 4, LE);
            }
            for (; j < hi; j++) {
                if (!(yb.getFloat(y0 + j * 4) > 0f)) {
                    db.putFloat(d0 + j * 4, 0f);
                }
            }
        });
    }

    static void dropout(INDArray x, float rate, long seed, long offset) {
        ByteBuffer b = HostMemory.bytes(x);
        int at = HostMemory.base(x);
        // each element's mask depends on its index alone, so any split gives the same result
        parallel((int) x.length(), L.length(), 4, (from, to) -> dropoutRange(b, at, from, to, rate, seed, offset));
    }

    /**
     * Dropout of elements from..to-1 (counted from the array's first, at byte at). Dropout.keep's test u ≥ rate,
     * u = (h >>> 40)·2⁻²⁴ exactly, is (h >>> 40) ≥ ⌈rate·2²⁴⌉ in integers. The hash runs in 64-bit lanes and
     * lands in a long[], the floats are masked in scalar code: a second float species (8 floats per 8 hashes,
     * 1.2 instead of 4.5 ms for [64, 228, 228]) took C2's Vector API intrinsics away from the other kernels,
     * whose type profiles then saw both, and a training step allocated GBs.
     */
    static void dropoutRange(ByteBuffer b, int at, int from, int to, float rate, long seed, long offset) {
        float scale = 1f / (1f - rate);
        long threshold = (long) Math.ceil(rate * 0x1p24);
        long[] h = new long[L.length()];
        LongVector iota = LongVector.fromArray(L, IOTA, 0);
        int i = from;
        for (; i <= to - h.length; i += h.length) {
            mix(iota.add(i + offset).mul(0xD1B54A32D192ED03L).lanewise(VectorOperators.XOR, seed))
                    .lanewise(VectorOperators.LSHR, 40).intoArray(h, 0);
            for (int l = 0; l < h.length; l++) {
                int o = at + (i + l) * 4;
                b.putFloat(o, h[l] >= threshold ? b.getFloat(o) * scale : 0f);
            }
        }
        for (; i < to; i++) {
            int o = at + i * 4;
            b.putFloat(o, dev.t5pt.model.Dropout.keep(seed, i + offset, rate) ? b.getFloat(o) * scale : 0f);
        }
    }

    /** splitmix64's finalizer in each lane (Dropout.mix). */
    static LongVector mix(LongVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
    }

    static void add(INDArray x, INDArray y, INDArray out) {
        ByteBuffer xb = HostMemory.bytes(x);
        ByteBuffer yb = HostMemory.bytes(y);
        ByteBuffer ob = HostMemory.bytes(out);
        int x0 = HostMemory.base(x);
        int y0 = HostMemory.base(y);
        int o0 = HostMemory.base(out);
        int n = (int) x.length();
        if (y.length() != n || out.length() != n) {
            throw new IllegalArgumentException("add: shapes " + java.util.Arrays.toString(x.shape()) + ", "
                    + java.util.Arrays.toString(y.shape()) + " -> " + java.util.Arrays.toString(out.shape()));
        }
        parallel(n, W, 1, (lo, hi) -> addRange(xb, x0 + lo * 4, yb, y0 + lo * 4, ob, o0 + lo * 4, hi - lo));
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
        ByteBuffer b = HostMemory.bytes(x);
        int at = HostMemory.base(x);
        int n = (int) x.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            for (; j <= hi - W; j += W) {
                FloatVector.fromByteBuffer(S, b, at + j * 4, LE).max(0f).intoByteBuffer(b, at + j * 4, LE);
            }
            for (; j < hi; j++) {
                b.putFloat(at + j * 4, Math.max(0f, b.getFloat(at + j * 4)));
            }
        });
    }

    static void geluGate(INDArray gate, INDArray linear, INDArray out) {
        ByteBuffer gb = HostMemory.bytes(gate);
        ByteBuffer lb = HostMemory.bytes(linear);
        ByteBuffer ob = HostMemory.bytes(out);
        int g0 = HostMemory.base(gate);
        int l0 = HostMemory.base(linear);
        int o0 = HostMemory.base(out);
        int n = (int) gate.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            for (; j <= hi - W; j += W) {
                FloatVector g = FloatVector.fromByteBuffer(S, gb, g0 + j * 4, LE);
                FloatVector inner = g.mul(g).mul(g).mul(0.044715f).add(g).mul(SQRT_2_OVER_PI);
                FloatVector act = VectorMath.tanh(inner).add(1f).mul(g).mul(0.5f);
                act.mul(FloatVector.fromByteBuffer(S, lb, l0 + j * 4, LE)).intoByteBuffer(ob, o0 + j * 4, LE);
            }
            for (; j < hi; j++) {
                float g = gb.getFloat(g0 + j * 4);
                float inner = (g * g * g * 0.044715f + g) * SQRT_2_OVER_PI;
                float act = (VectorMath.tanh(inner) + 1f) * g * 0.5f;
                ob.putFloat(o0 + j * 4, act * lb.getFloat(l0 + j * 4));
            }
        });
    }

    static void geluGateBackward(INDArray gate, INDArray linear, INDArray dOut, INDArray dGate, INDArray dLinear) {
        ByteBuffer gb = HostMemory.bytes(gate);
        ByteBuffer lb = HostMemory.bytes(linear);
        ByteBuffer ob = HostMemory.bytes(dOut);
        ByteBuffer dgb = HostMemory.bytes(dGate);
        ByteBuffer dlb = HostMemory.bytes(dLinear);
        int g0 = HostMemory.base(gate);
        int l0 = HostMemory.base(linear);
        int o0 = HostMemory.base(dOut);
        int dg0 = HostMemory.base(dGate);
        int dl0 = HostMemory.base(dLinear);
        int n = (int) gate.length();
        parallel(n, W, 1, (lo, hi) -> {
            int j = lo;
            for (; j <= hi - W; j += W) {
                FloatVector g = FloatVector.fromByteBuffer(S, gb, g0 + j * 4, LE);
                FloatVector g2 = g.mul(g);
                FloatVector t = VectorMath.tanh(g2.mul(0.044715f).add(1f).mul(g).mul(SQRT_2_OVER_PI));
                FloatVector onePlusT = t.add(1f);
                FloatVector act = onePlusT.mul(g).mul(0.5f);
                // gelu'(g) = ½(1 + t) + ½·g·(1 − t²)·√(2/π)·(1 + 3·0.044715·g²)
                FloatVector du = g2.mul(3 * 0.044715f).add(1f).mul(SQRT_2_OVER_PI);
                FloatVector deriv = t.mul(t).neg().add(1f).mul(g).mul(du).mul(0.5f).add(onePlusT.mul(0.5f));
                FloatVector dout = FloatVector.fromByteBuffer(S, ob, o0 + j * 4, LE);
                dout.mul(FloatVector.fromByteBuffer(S, lb, l0 + j * 4, LE)).mul(deriv).intoByteBuffer(dgb, dg0 + j * 4, LE);
                dout.mul(act).intoByteBuffer(dlb, dl0 + j * 4, LE);
            }
            for (; j < hi; j++) {
                float g = gb.getFloat(g0 + j * 4);
                float t = VectorMath.tanh((g * g * 0.044715f + 1f) * g * SQRT_2_OVER_PI);
                float act = (t + 1f) * g * 0.5f;
                float du = (g * g * 3 * 0.044715f + 1f) * SQRT_2_OVER_PI;
                float deriv = (1f - t * t) * g * du * 0.5f + (1f + t) * 0.5f;
                float dout = ob.getFloat(o0 + j * 4);
                dgb.putFloat(dg0 + j * 4, dout * lb.getFloat(l0 + j * 4) * deriv);
                dlb.putFloat(dl0 + j * 4, dout * act);
            }
        });
    }

    static void gatherRows(INDArray table, int[] ids, INDArray dst, long dstRow) {
        int d = (int) table.size(1);
        ByteBuffer tb = HostMemory.bytes(table);
        ByteBuffer db = HostMemory.bytes(dst);
        int t0 = HostMemory.base(table);
        int d0 = HostMemory.base(dst) + (int) (dstRow * d * 4);
        for (int i = 0; i < ids.length; i++) {
            db.put(d0 + i * d * 4, tb, t0 + ids[i] * d * 4, d * 4);
        }
    }

    static void copyRows(INDArray src, INDArray dst, long dstRow) {
        int d = (int) dst.size(1);
        int n = (int) src.length();
        HostMemory.bytes(dst).put(HostMemory.base(dst) + (int) (dstRow * d * 4), HostMemory.bytes(src),
                HostMemory.base(src), n * 4);
    }

    static void argmaxRows(INDArray x, int[] out) {
        int rows = (int) x.size(0);
        int v = (int) x.size(1);
        ByteBuffer xb = HostMemory.bytes(x);
        int x0 = HostMemory.base(x);
        for (int r = 0; r < rows; r++) {
            int row = x0 + r * v * 4;
            int best = 0;
            float max = xb.getFloat(row);
            for (int j = 1; j < v; j++) {
                float e = xb.getFloat(row + j * 4);
                if (e > max) {
                    max = e;
                    best = j;
                }
            }
            out[r] = best;
        }
    }
}
