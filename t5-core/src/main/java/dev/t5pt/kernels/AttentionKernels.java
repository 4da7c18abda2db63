package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.nio.ByteBuffer;
import java.util.function.IntConsumer;

import static dev.t5pt.kernels.VectorSupport.*;

/**
 * Attention in the Vector API kernels: softmax with position bias and mask, the fused forward (scores, softmax,
 * P·V a head at a time) and backward, head split and merge. Shapes: {@link Kernels}.
 */
final class AttentionKernels {
    private AttentionKernels() {
    }

    static void softmax(INDArray scores, INDArray bias, AttentionMask mask, int heads) {
        IntConsumer head = softmaxOfHead(scores, bias, mask, heads);
        parallel((int) scores.size(0), 1, scores.size(1) * scores.size(2), (from, to) -> {
            for (int g = from; g < to; g++) {
                head.accept(g);
            }
        });
    }

    static void attentionProbs(INDArray qh, INDArray kh, INDArray bias, AttentionMask mask, int heads, INDArray probs) {
        // each head's softmax right after its product, by the same thread, while its scores are in cache
        BatchedMatmul.multiply(qh, false, kh, true, probs, false, softmaxOfHead(probs, bias, mask, heads));
    }

    static void attention(INDArray qh, INDArray kh, INDArray vh, INDArray bias, AttentionMask mask, int heads,
                          INDArray probs, INDArray ctx, Dropout drop, INDArray dropped) {
        IntConsumer softmax = softmaxOfHead(probs, bias, mask, heads);
        IntConsumer drops = dropHead(probs, drop, dropped);
        INDArray p = drop.active() ? dropped : probs;
        if (BatchedMatmul.byOneDnn(false, kh, probs)) {
            // oneDNN's batched products are faster than the fused heads below: scores, softmax, then P·V
            BatchedMatmul.multiply(qh, false, kh, true, probs, false, g -> {
                softmax.accept(g);
                drops.accept(g);
            });
            BatchedMatmul.multiply(p, false, vh, false, ctx, false, null);
            return;
        }
        // each head's softmax, dropout copy and P·V right after its scores, by the same thread, in cache
        IntConsumer context = BatchedMatmul.products(p, false, vh, false, ctx, false);
        BatchedMatmul.multiply(qh, false, kh, true, probs, false, g -> {
            softmax.accept(g);
            drops.accept(g);
            context.accept(g);
        });
    }

    /** g → dropped[g] = drop(probs[g]), its elements counted over the whole array; nothing without dropout. */
    static IntConsumer dropHead(INDArray probs, Dropout drop, INDArray dropped) {
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
            RowKernels.dropoutRange(db, d0, g * size, (g + 1) * size, drop.rate(), drop.seed(), offset);
        };
    }

    /** The softmax of scores[g] (one batch row and head) for a given g. */
    static IntConsumer softmaxOfHead(INDArray scores, INDArray bias, AttentionMask mask,
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
    static void softmaxRow(ByteBuffer sb, int row, ByteBuffer bb, int brow, float[] pad, int padAt,
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
    static float addBiasMax(ByteBuffer sb, int row, ByteBuffer bb, int brow, float[] pad, int padAt,
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
    static float expSum(ByteBuffer sb, int row, float max, int visible, float[] lanes) {
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

    static void softmaxBackward(INDArray probs, INDArray dProbs) {
        int lk = (int) probs.size(2);
        ByteBuffer pb = HostMemory.bytes(probs);
        ByteBuffer db = HostMemory.bytes(dProbs);
        int p0 = HostMemory.base(probs);
        int d0 = HostMemory.base(dProbs);
        parallel((int) (probs.length() / lk), 1, lk, (from, to) -> softmaxBackwardRows(pb, p0, db, d0, lk, from, to));
    }

    /** dp → p ⊙ (dp − Σⱼ dpⱼ·pⱼ) in place for rows from..to-1 of lk floats. */
    static void softmaxBackwardRows(ByteBuffer pb, int p0, ByteBuffer db, int d0, int lk, int from, int to) {
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

    static void attentionBackward(INDArray dCtx, INDArray probs, INDArray qh, INDArray kh, INDArray vh,
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
                RowKernels.dropoutRange(db, d0, g * lq * lk, (g + 1) * lq * lk, drop.rate(), drop.seed(), drop.offset(probs.length()));
            }
            softmaxBackwardRows(pb, p0, db, d0, lk, g * lq, (g + 1) * lq);
            dQ.accept(g);
            dK.accept(g);
        });
    }

    static void splitHeads(INDArray src, int col, INDArray dst, int batch, int pos) {
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
        parallel(rows, 1, (long) heads * k, (first, end) -> {               // a range of src rows (b, l)
            for (int r = first; r < end; r++) {
                int b = r / len;
                int l = r % len;
                int from = s0 + (r * width + col) * 4;
                for (int h = 0; h < heads; h++) {
                    int to = d0 + (((b * heads + h) * ld + pos + l) * k) * 4;
                    db.put(to, sb, from + h * k * 4, k * 4);
                }
            }
        });
    }

    static void mergeHeads(INDArray src, INDArray dst, int col, int batch) {
        int heads = (int) (src.size(0) / batch);
        int len = (int) src.size(1);
        int k = (int) src.size(2);
        ByteBuffer sb = HostMemory.bytes(src);
        ByteBuffer db = HostMemory.bytes(dst);
        int s0 = HostMemory.base(src);
        int d0 = HostMemory.base(dst);
        int width = (int) dst.size(1);
        parallel(batch * len, 1, (long) heads * k, (first, end) -> {        // a range of dst rows (b, l)
            for (int r = first; r < end; r++) {
                int b = r / len;
                int l = r % len;
                int to = d0 + (r * width + col) * 4;
                for (int h = 0; h < heads; h++) {
                    int from = s0 + (((b * heads + h) * len + l) * k) * 4;
                    db.put(to + h * k * 4, sb, from, k * 4);
                }
            }
        });
    }
}
