package dev.t5pt.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.IntConsumer;

/**
 * The fast CPU kernels: JDK Vector API loops over the arrays' host buffers, one pass per row, no
 * temporaries; exp, tanh and sums from {@link VectorMath}, so results are the same bits however the JVM
 * runs the code (interpreted or compiled), which resumed training depends on. Each method computes exactly what its {@link Nd4jKernels} twin computes (tests hold the
 * two together); see {@link Kernels} for shapes.
 */
public final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.nativeOrder();
    private static final int W = S.length();
    /** Bytes as many as S has float lanes (none below 64 bits: then {@link #dotQuantized} runs scalar). */
    private static final VectorSpecies<Byte> SB = W >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(W * 8)) : null;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    static boolean available() {
        try {
            return FloatVector.SPECIES_PREFERRED.length() >= 4;
        } catch (Throwable e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "vector(" + S.vectorBitSize() + "-bit)";
    }

    @Override
    public void batchedMatmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add) {
        BatchedMatmul.multiply(a, transA, b, transB, c, add, null);
    }

    @Override
    public void matVec(INDArray x, INDArray w, INDArray y) {
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
        KernelTeam.run(chunks, c -> {
            int from = (int) ((long) out * c / chunks);
            int to = (int) ((long) out * (c + 1) / chunks);
            float[] lanes = new float[W];
            for (int o = from; o < to; o++) {
                int wr = w0 + o * in * 4;
                for (int r = 0; r < rows; r++) {
                    yb.putFloat(y0 + (r * out + o) * 4, dot(wb, wr, xb, x0 + r * in * 4, in, lanes));
                }
            }
        });
    }

    /** Dropout's hash: 64-bit lanes, the only LongVector species used. */
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final long[] IOTA = java.util.stream.LongStream.range(0, L.length()).toArray();
    private static final int PARALLELISM = Runtime.getRuntime().availableProcessors();
    /** Work (floats touched) below which a kernel runs on the calling thread: a hand-off costs ~10-20 µs. */
    private static final long PARALLEL_MIN_WORK = 1 << 16;

    /** A contiguous range [from, to) of a kernel's rows or elements. */
    @FunctionalInterface
    private interface Range {
        void run(int from, int to);
    }

    /**
     * Runs body over [0, n) as one contiguous range per core (inner boundaries multiples of align) when the
     * work, n × cost floats, pays for the hand-off; else on the calling thread. Every row or element is
     * computed by one thread in the same order either way, so results do not depend on the split.
     */
    private static void parallel(int n, int align, long cost, Range body) {
        int parts = (long) n * cost >= PARALLEL_MIN_WORK ? Math.min(PARALLELISM, n / align) : 1;
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        int units = n / align;
        KernelTeam.run(parts, p -> body.run(
                (int) ((long) units * p / parts) * align,
                p == parts - 1 ? n : (int) ((long) units * (p + 1) / parts) * align));
    }

    /** Σ a[i]·b[i] over n floats, in a fixed order (lanes, then the tail); lanes: W floats of scratch. */
    private static float dot(ByteBuffer a, int at, ByteBuffer b, int bt, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - W; j += W) {
            acc = FloatVector.fromByteBuffer(S, a, at + j * 4, LE).fma(FloatVector.fromByteBuffer(S, b, bt + j * 4, LE), acc);
        }
        acc.intoArray(lanes, 0);
        float s = VectorMath.sum(lanes);
        for (; j < n; j++) {
            s += a.getFloat(at + j * 4) * b.getFloat(bt + j * 4);
        }
        return s;
    }

    @Override
    public void rmsNorm(INDArray x, INDArray w, float eps, INDArray out) {
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

    @Override
    public void rmsNormBackward(INDArray x, INDArray w, float eps, INDArray dOut, INDArray dx, boolean accumulate) {
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

    private static float sumSquares(ByteBuffer b, int at, int n, float[] lanes) {
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

    @Override
    public void softmax(INDArray scores, INDArray bias, AttentionMask mask, int heads) {
        IntConsumer head = softmaxOfHead(scores, bias, mask, heads);
        parallel((int) scores.size(0), 1, scores.size(1) * scores.size(2), (from, to) -> {
            for (int g = from; g < to; g++) {
                head.accept(g);
            }
        });
    }

    @Override
    public void attentionProbs(INDArray qh, INDArray kh, INDArray bias, AttentionMask mask, int heads, INDArray probs) {
        // each head's softmax right after its product, by the same thread, while its scores are in cache
        BatchedMatmul.multiply(qh, false, kh, true, probs, false, softmaxOfHead(probs, bias, mask, heads));
    }

    @Override
    public void attention(INDArray qh, INDArray kh, INDArray vh, INDArray bias, AttentionMask mask, int heads,
                          INDArray probs, INDArray ctx, Dropout drop, INDArray dropped) {
        // each head's softmax, dropout copy and P·V right after its scores, by the same thread, in cache
        IntConsumer softmax = softmaxOfHead(probs, bias, mask, heads);
        IntConsumer drops = dropHead(probs, drop, dropped);
        IntConsumer context = BatchedMatmul.products(drop.active() ? dropped : probs, false, vh, false, ctx, false);
        BatchedMatmul.multiply(qh, false, kh, true, probs, false, g -> {
            softmax.accept(g);
            drops.accept(g);
            context.accept(g);
        });
    }

    /** g → dropped[g] = drop(probs[g]), its elements counted over the whole array; nothing without dropout. */
    private static IntConsumer dropHead(INDArray probs, Dropout drop, INDArray dropped) {
        if (!drop.active()) {
            return g -> { };
        }
        int size = (int) (probs.size(1) * probs.size(2));
        long offset = drop.offset(probs.length());
        ByteBuffer pb = HostMemory.bytes(probs);
        ByteBuffer db = HostMemory.bytes(dropped);
        int p0 = HostMemory.base(probs);
        int d0 = HostMemory.base(dropped);
        return g -> {
            db.put(d0 + g * size * 4, pb, p0 + g * size * 4, size * 4);
            dropoutRange(db, d0, g * size, (g + 1) * size, drop.rate(), drop.seed(), offset);
        };
    }

    /** The softmax of scores[g] (one batch row and head) for a given g. */
    private static IntConsumer softmaxOfHead(INDArray scores, INDArray bias, AttentionMask mask,
                                                               int heads) {
        int lq = (int) scores.size(1);
        int lk = (int) scores.size(2);
        ByteBuffer sb = HostMemory.bytes(scores);
        int s0 = HostMemory.base(scores);
        ByteBuffer bb = bias == null ? null : HostMemory.bytes(bias);
        int b0 = bias == null ? 0 : HostMemory.base(bias);
        float[] pad = mask instanceof AttentionMask.KeyPadding p ? p.additive() : null;
        int causal = mask instanceof AttentionMask.Causal c ? c.queryOffset() : -1;
        return g -> {
            float[] lanes = new float[W];
            int h = g % heads;
            int batchRow = g / heads;
            for (int i = 0; i < lq; i++) {
                int row = s0 + ((g * lq + i) * lk) * 4;
                int brow = bb == null ? -1 : b0 + ((h * lq + i) * lk) * 4;
                // keys [0, visible) can be seen; causal rows stop at i + offset
                int visible = causal >= 0 ? Math.min(lk, i + causal + 1) : lk;
                softmaxRow(sb, row, bb, brow, pad, batchRow * lk, visible, lk, lanes);
            }
        };
    }

    /**
     * One row: s = s + bias + padMask over [0, visible), −∞ beyond; then a stable softmax. Each pass is its own
     * small method: in one large method C2 stops inlining (NodeCountInliningCutoff) before reaching
     * {@link VectorMath#exp(FloatVector)}, and a vector passed to a call that is not inlined is boxed on the heap.
     */
    private static void softmaxRow(ByteBuffer sb, int row, ByteBuffer bb, int brow, float[] pad, int padAt,
                                   int visible, int lk, float[] lanes) {
        float max = addBiasMax(sb, row, bb, brow, pad, padAt, visible);
        if (max == Float.NEGATIVE_INFINITY) {
            // no visible key: HF's finfo.min mask makes every score equal, i.e. uniform weights
            float u = 1f / lk;
            for (int k = 0; k < lk; k++) {
                sb.putFloat(row + k * 4, u);
            }
            return;
        }
        float inv = 1f / expSum(sb, row, max, visible, lanes);
        int j = 0;
        for (; j <= visible - W; j += W) {
            FloatVector.fromByteBuffer(S, sb, row + j * 4, LE).mul(inv).intoByteBuffer(sb, row + j * 4, LE);
        }
        for (; j < visible; j++) {
            sb.putFloat(row + j * 4, sb.getFloat(row + j * 4) * inv);
        }
        for (j = visible; j < lk; j++) {
            sb.putFloat(row + j * 4, 0f);
        }
    }

    /** s += bias + padMask over [0, visible) of the row, in place; returns the row's maximum there. */
    private static float addBiasMax(ByteBuffer sb, int row, ByteBuffer bb, int brow, float[] pad, int padAt,
                                    int visible) {
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j <= visible - W; j += W) {
            FloatVector v = FloatVector.fromByteBuffer(S, sb, row + j * 4, LE);
            if (bb != null) {
                v = v.add(FloatVector.fromByteBuffer(S, bb, brow + j * 4, LE));
            }
            if (pad != null) {
                v = v.add(FloatVector.fromArray(S, pad, padAt + j));
            }
            v.intoByteBuffer(sb, row + j * 4, LE);
            maxV = maxV.max(v);
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; j < visible; j++) {
            float v = sb.getFloat(row + j * 4);
            if (bb != null) {
                v += bb.getFloat(brow + j * 4);
            }
            if (pad != null) {
                v += pad[padAt + j];
            }
            sb.putFloat(row + j * 4, v);
            max = Math.max(max, v);
        }
        return max;
    }

    /** s = e^(s − max) over [0, visible) of the row, in place; returns their sum. */
    private static float expSum(ByteBuffer sb, int row, float max, int visible, float[] lanes) {
        FloatVector sumV = FloatVector.zero(S);
        int j = 0;
        for (; j <= visible - W; j += W) {
            FloatVector e = VectorMath.exp(FloatVector.fromByteBuffer(S, sb, row + j * 4, LE).sub(max));
            e.intoByteBuffer(sb, row + j * 4, LE);
            sumV = sumV.add(e);
        }
        sumV.intoArray(lanes, 0);
        float sum = VectorMath.sum(lanes);
        for (; j < visible; j++) {
            float e = VectorMath.exp(sb.getFloat(row + j * 4) - max);
            sb.putFloat(row + j * 4, e);
            sum += e;
        }
        return sum;
    }

    @Override
    public void softmaxBackward(INDArray probs, INDArray dProbs) {
        int lk = (int) probs.size(2);
        ByteBuffer pb = HostMemory.bytes(probs);
        ByteBuffer db = HostMemory.bytes(dProbs);
        int p0 = HostMemory.base(probs);
        int d0 = HostMemory.base(dProbs);
        parallel((int) (probs.length() / lk), 1, lk, (from, to) -> softmaxBackwardRows(pb, p0, db, d0, lk, from, to));
    }

    /** dp → p ⊙ (dp − Σⱼ dpⱼ·pⱼ) in place for rows from..to-1 of lk floats. */
    private static void softmaxBackwardRows(ByteBuffer pb, int p0, ByteBuffer db, int d0, int lk, int from, int to) {
        float[] lanes = new float[W];
        for (int r = from; r < to; r++) {
            int pr = p0 + r * lk * 4;
            int dr = d0 + r * lk * 4;
            float dot = dot(pb, pr, db, dr, lk, lanes);
            int j = 0;
            for (; j <= lk - W; j += W) {
                FloatVector dp = FloatVector.fromByteBuffer(S, db, dr + j * 4, LE);
                dp.sub(dot).mul(FloatVector.fromByteBuffer(S, pb, pr + j * 4, LE)).intoByteBuffer(db, dr + j * 4, LE);
            }
            for (; j < lk; j++) {
                db.putFloat(dr + j * 4, (db.getFloat(dr + j * 4) - dot) * pb.getFloat(pr + j * 4));
            }
        }
    }

    @Override
    public void attentionBackward(INDArray dCtx, INDArray probs, INDArray qh, INDArray kh, INDArray vh,
                                  INDArray dProbs, INDArray dQh, INDArray dKh, INDArray dVh, Dropout drop,
                                  INDArray dropped) {
        // the steps of one head by one thread, back to back, while its [Lq, Lk] slices are in cache
        IntConsumer dP = BatchedMatmul.products(dCtx, false, vh, true, dProbs, false);
        IntConsumer drops = dropHead(probs, drop, dropped);
        IntConsumer dV = BatchedMatmul.products(drop.active() ? dropped : probs, true, dCtx, false, dVh, false);
        IntConsumer dQ = BatchedMatmul.products(dProbs, false, kh, false, dQh, false);
        IntConsumer dK = BatchedMatmul.products(dProbs, true, qh, false, dKh, false);
        int lq = (int) probs.size(1);
        int lk = (int) probs.size(2);
        ByteBuffer pb = HostMemory.bytes(probs);
        ByteBuffer db = HostMemory.bytes(dProbs);
        int p0 = HostMemory.base(probs);
        int d0 = HostMemory.base(dProbs);
        int n = (int) probs.size(0);
        BatchedMatmul.run(n, 4L * n * lq * lk * dCtx.size(2), g -> {
            dP.accept(g);
            drops.accept(g);
            dV.accept(g);
            if (drop.active()) {
                dropoutRange(db, d0, g * lq * lk, (g + 1) * lq * lk, drop.rate(), drop.seed(), drop.offset(probs.length()));
            }
            softmaxBackwardRows(pb, p0, db, d0, lk, g * lq, (g + 1) * lq);
            dQ.accept(g);
            dK.accept(g);
        });
    }

    @Override
    public void reluBackward(INDArray y, INDArray dy) {
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

    @Override
    public void dropout(INDArray x, float rate, long seed, long offset) {
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
    private static void dropoutRange(ByteBuffer b, int at, int from, int to, float rate, long seed, long offset) {
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
    private static LongVector mix(LongVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
    }

    @Override
    public void add(INDArray x, INDArray y, INDArray out) {
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

    @Override
    public void relu(INDArray x) {
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

    @Override
    public void geluGate(INDArray gate, INDArray linear, INDArray out) {
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

    @Override
    public void geluGateBackward(INDArray gate, INDArray linear, INDArray dOut, INDArray dGate, INDArray dLinear) {
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

    @Override
    public void splitHeads(INDArray src, int col, INDArray dst, int batch, int pos) {
        int rows = (int) src.size(0);
        int len = rows / batch;
        int heads = (int) (dst.size(0) / batch);
        int ld = (int) dst.size(1);
        int k = (int) dst.size(2);
        ByteBuffer sb = HostMemory.bytes(src);
        ByteBuffer db = HostMemory.bytes(dst);
        int s0 = HostMemory.base(src);
        int d0 = HostMemory.base(dst);
        int width = (int) src.size(1);
        for (int b = 0; b < batch; b++) {
            for (int l = 0; l < len; l++) {
                int from = s0 + ((b * len + l) * width + col) * 4;
                for (int h = 0; h < heads; h++) {
                    int to = d0 + (((b * heads + h) * ld + pos + l) * k) * 4;
                    db.put(to, sb, from + h * k * 4, k * 4);
                }
            }
        }
    }

    @Override
    public void mergeHeads(INDArray src, INDArray dst, int col, int batch) {
        int heads = (int) (src.size(0) / batch);
        int len = (int) src.size(1);
        int k = (int) src.size(2);
        ByteBuffer sb = HostMemory.bytes(src);
        ByteBuffer db = HostMemory.bytes(dst);
        int s0 = HostMemory.base(src);
        int d0 = HostMemory.base(dst);
        int width = (int) dst.size(1);
        for (int b = 0; b < batch; b++) {
            for (int l = 0; l < len; l++) {
                int to = d0 + ((b * len + l) * width + col) * 4;
                for (int h = 0; h < heads; h++) {
                    int from = s0 + (((b * heads + h) * len + l) * k) * 4;
                    db.put(to + h * k * 4, sb, from, k * 4);
                }
            }
        }
    }

    @Override
    public void gatherRows(INDArray table, int[] ids, INDArray dst, long dstRow) {
        int d = (int) table.size(1);
        ByteBuffer tb = HostMemory.bytes(table);
        ByteBuffer db = HostMemory.bytes(dst);
        int t0 = HostMemory.base(table);
        int d0 = HostMemory.base(dst) + (int) (dstRow * d * 4);
        for (int i = 0; i < ids.length; i++) {
            db.put(d0 + i * d * 4, tb, t0 + ids[i] * d * 4, d * 4);
        }
    }

    @Override
    public void copyRows(INDArray src, INDArray dst, long dstRow) {
        int d = (int) dst.size(1);
        int n = (int) src.length();
        HostMemory.bytes(dst).put(HostMemory.base(dst) + (int) (dstRow * d * 4), HostMemory.bytes(src),
                HostMemory.base(src), n * 4);
    }

    @Override
    public void argmaxRows(INDArray x, int[] out) {
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

    /**
     * The screened pick (see {@link QuantizedRows} for the bound): a_o from the 8-bit rows for every o, m the
     * largest lower bound a_o − ‖x‖·bound[o]; a row whose upper bound a_o + ‖x‖·bound[o] is below m cannot hold the
     * maximum (its value is below that of m's row), so only the others, usually one or two, are computed in full,
     * with matVec's own dot product, in index order: the same values, the same first maximum. Non-finite values
     * anywhere fall back to the full product.
     */
    @Override
    public void argmaxOfProduct(INDArray x, INDArray w, QuantizedRows screen, INDArray scratch, int[] out) {
        int rows = (int) x.size(0);
        int in = (int) x.size(1);
        int v = (int) w.size(0);
        if (screen.rows != v || screen.cols != in) {
            throw new IllegalArgumentException("screen: expected the 8-bit copy of a [" + v + ", " + in + "] matrix, found ["
                    + screen.rows + ", " + screen.cols + "]");
        }
        ByteBuffer xb = HostMemory.bytes(x);
        ByteBuffer wb = HostMemory.bytes(w);
        ByteBuffer ab = HostMemory.bytes(scratch);
        int x0 = HostMemory.base(x);
        int w0 = HostMemory.base(w);
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
                best = exactArgmax(parts, screen, norm, ab, ar, wb, w0, xb, xr);
            }
            if (best < 0) {                                          // non-finite somewhere: no screening
                Kernels.super.argmaxOfProduct(x, w, screen, scratch, out);
                return;
            }
            out[r] = best;
        }
    }

    /**
     * The first row holding the maximum of x·w_o among the screened parts' candidates, each computed in full with
     * matVec's dot product; -1 when the largest lower bound or a candidate's value is not finite.
     */
    private static int exactArgmax(ScreenPart[] parts, QuantizedRows screen, double norm, ByteBuffer ab, int ar,
                                   ByteBuffer wb, int w0, ByteBuffer xb, int xr) {
        double m = Double.NEGATIVE_INFINITY;                         // the largest lower bound
        for (ScreenPart p : parts) {
            m = Math.max(m, p.lower);                                // NaN stays NaN
        }
        if (!(Math.abs(m) < 1e37)) {
            return -1;
        }
        int in = screen.cols;
        float[] lanes = new float[W];
        int best = -1;
        float max = 0;
        for (ScreenPart p : parts) {
            int n = p.candidates == null ? p.to - p.from : p.count;
            for (int i = 0; i < n; i++) {
                int o = p.candidates == null ? p.from + i : p.candidates[i];
                if (ab.getFloat(ar + o * 4) + norm * screen.bound[o] < m) {
                    continue;                                        // its value is below m's row's
                }
                float y = dot(wb, w0 + o * in * 4, xb, xr, in, lanes);
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
    private record ScreenPart(int from, int to, double lower, int[] candidates, int count) {
    }

    private static final int SCREEN_KEEP = 64;
    /** Rows of the 8-bit screen per pass over x (see {@link #dotQuantizedRows}). */
    private static final int SCREEN_ROWS = 8;

    /** a[o] = fl(s_o·Σ x·q_o) for rows [from, to) into the scratch row at ar, and the part's candidates. */
    private static ScreenPart screenPart(ByteBuffer xb, int xr, QuantizedRows screen, double norm, ByteBuffer ab, int ar,
                                         int from, int to) {
        int in = screen.cols;
        double best = Double.NEGATIVE_INFINITY;
        int[] kept = new int[SCREEN_KEEP];
        int count = 0;
        float[] dots = new float[SCREEN_ROWS];
        for (int o = from; o < to; o += SCREEN_ROWS) {
            int rows = Math.min(SCREEN_ROWS, to - o);
            if (rows == SCREEN_ROWS) {
                dotQuantizedRows(xb, xr, screen.q, o * in, in, dots);
            } else {
                for (int i = 0; i < rows; i++) {
                    dots[i] = dotQuantized(xb, xr, screen.q, (o + i) * in, in);
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

    /** Σ x[i]·q[i] over n values, x floats at xt, q bytes from qt; two accumulators (the order is free here). */
    private static float dotQuantized(ByteBuffer x, int xt, byte[] q, int qt, int n) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = acc0;
        int j = 0;
        for (; SB != null && j <= n - 2 * W; j += 2 * W) {
            acc0 = bytesToFloats(q, qt + j).fma(FloatVector.fromByteBuffer(S, x, xt + j * 4, LE), acc0);
            acc1 = bytesToFloats(q, qt + j + W).fma(FloatVector.fromByteBuffer(S, x, xt + (j + W) * 4, LE), acc1);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            s += x.getFloat(xt + j * 4) * q[qt + j];
        }
        return s;
    }

    /**
     * x·q for SCREEN_ROWS consecutive 8-bit rows q[qt ..] of n bytes each, into out[0 .. SCREEN_ROWS): each row its
     * own accumulator, summed lanes then tail (so each row's value is what it would be alone in this loop). Eight
     * rows share each load of x: 24-25 GB/s of rows on one core, against 15-16 with four.
     */
    private static void dotQuantizedRows(ByteBuffer x, int xt, byte[] q, int qt, int n, float[] out) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        FloatVector acc4 = acc0;
        FloatVector acc5 = acc0;
        FloatVector acc6 = acc0;
        FloatVector acc7 = acc0;
        int j = 0;
        for (; SB != null && j <= n - W; j += W) {
            FloatVector xv = FloatVector.fromByteBuffer(S, x, xt + j * 4, LE);
            acc0 = bytesToFloats(q, qt + j).fma(xv, acc0);
            acc1 = bytesToFloats(q, qt + n + j).fma(xv, acc1);
            acc2 = bytesToFloats(q, qt + 2 * n + j).fma(xv, acc2);
            acc3 = bytesToFloats(q, qt + 3 * n + j).fma(xv, acc3);
            acc4 = bytesToFloats(q, qt + 4 * n + j).fma(xv, acc4);
            acc5 = bytesToFloats(q, qt + 5 * n + j).fma(xv, acc5);
            acc6 = bytesToFloats(q, qt + 6 * n + j).fma(xv, acc6);
            acc7 = bytesToFloats(q, qt + 7 * n + j).fma(xv, acc7);
        }
        out[0] = acc0.reduceLanes(VectorOperators.ADD);
        out[1] = acc1.reduceLanes(VectorOperators.ADD);
        out[2] = acc2.reduceLanes(VectorOperators.ADD);
        out[3] = acc3.reduceLanes(VectorOperators.ADD);
        out[4] = acc4.reduceLanes(VectorOperators.ADD);
        out[5] = acc5.reduceLanes(VectorOperators.ADD);
        out[6] = acc6.reduceLanes(VectorOperators.ADD);
        out[7] = acc7.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            float xj = x.getFloat(xt + j * 4);
            for (int i = 0; i < SCREEN_ROWS; i++) {
                out[i] += xj * q[qt + i * n + j];
            }
        }
    }

    private static FloatVector bytesToFloats(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(SB, q, at).convertShape(VectorOperators.B2F, S, 0);
    }

    /** Σ x[i]² over n floats in double: the norm in the screening bound. */
    private static double sumOfSquares(ByteBuffer x, int at, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double e = x.getFloat(at + i * 4);
            s += e * e;
        }
        return s;
    }

    @Override
    public double crossEntropySum(INDArray logits, int[] labels, int ignore) {
        int v = (int) logits.size(1);
        ByteBuffer lb = HostMemory.bytes(logits);
        int l0 = HostMemory.base(logits);
        double[] loss = new double[labels.length];
        parallel(labels.length, 1, v, (from, to) -> {
            float[] lanes = new float[W];
            for (int n = from; n < to; n++) {
                int row = l0 + n * v * 4;
                loss[n] = labels[n] == ignore ? 0 : logSumExp(lb, row, v, lanes) - lb.getFloat(row + labels[n] * 4);
            }
        });
        double sum = 0;
        for (double l : loss) {  // in row order, whatever the split
            sum += l;
        }
        return sum;
    }

    @Override
    public void crossEntropyBackward(INDArray logits, int[] labels, int ignore, double scale, INDArray dLogits) {
        int v = (int) logits.size(1);
        ByteBuffer lb = HostMemory.bytes(logits);
        ByteBuffer db = HostMemory.bytes(dLogits);
        int l0 = HostMemory.base(logits);
        int d0 = HostMemory.base(dLogits);
        float s = (float) scale;
        parallel(labels.length, 1, v, (from, to) -> {
            float[] lanes = new float[W];
            for (int n = from; n < to; n++) {
                int row = l0 + n * v * 4;
                int drow = d0 + n * v * 4;
                if (labels[n] == ignore) {
                    for (int j = 0; j < v; j++) {
                        db.putFloat(drow + j * 4, 0f);
                    }
                    continue;
                }
                scaledSoftmax(lb, row, (float) logSumExp(lb, row, v, lanes), s, db, drow, v);
                int at = drow + labels[n] * 4;
                db.putFloat(at, db.getFloat(at) - s);
            }
        });
    }

    /** d[j] = s·e^(l[j] − lse) over one row of n (its own method so that C2 inlines the vector exp). */
    private static void scaledSoftmax(ByteBuffer lb, int row, float lse, float s, ByteBuffer db, int drow, int n) {
        int j = 0;
        for (; j <= n - W; j += W) {
            VectorMath.exp(FloatVector.fromByteBuffer(S, lb, row + j * 4, LE).sub(lse)).mul(s)
                    .intoByteBuffer(db, drow + j * 4, LE);
        }
        for (; j < n; j++) {
            db.putFloat(drow + j * 4, VectorMath.exp(lb.getFloat(row + j * 4) - lse) * s);
        }
    }

    private static double logSumExp(ByteBuffer b, int row, int n, float[] lanes) {
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j <= n - W; j += W) {
            maxV = maxV.max(FloatVector.fromByteBuffer(S, b, row + j * 4, LE));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, b.getFloat(row + j * 4));
        }
        FloatVector sumV = FloatVector.zero(S);
        j = 0;
        for (; j <= n - W; j += W) {
            sumV = sumV.add(VectorMath.exp(FloatVector.fromByteBuffer(S, b, row + j * 4, LE).sub(max)));
        }
        sumV.intoArray(lanes, 0);
        double sum = VectorMath.sum(lanes);
        for (; j < n; j++) {
            sum += VectorMath.exp(b.getFloat(row + j * 4) - max);
        }
        return Math.log(sum) + max;
    }
}
