package dev.t5pt.kernels;

import dev.t5pt.model.Dropout;
import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The operations T5 needs: the row-wise ones, each forward with its backward beside it, and the matrix products
 * (the projections' GEMM, few-row products, the attention's batched products). All arrays are FLOAT, 'c'-ordered
 * and contiguous unless a method says otherwise. Legend: N rows, D d_model, F d_ff, B batch, H heads, Lq/Lk
 * query/key lengths, K d_kv, I = H·K, V vocabulary.
 *
 * <p>Two implementations: {@link Nd4jKernels} composes ND4J ops and runs on any backend (the reference);
 * {@link VectorKernels} runs the JDK Vector API over the CPU buffers, and oneDNN's brgemm for the products where
 * the CPU has it (fast). {@link #forBackend()} picks.
 */
public interface Kernels {

    /**
     * The fast kernels on the CPU backend, ND4J's ops elsewhere. Without the JVM flag
     * {@code --add-modules jdk.incubator.vector} the Vector API is not there: ND4J's kernels then, same results
     * to float rounding but slower, and one warning line on stderr (once per JVM) that names the flag.
     */
    static Kernels forBackend() {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        boolean cpu = backend.contains("Cpu") || backend.contains("Native");
        if (!cpu) {
            return new Nd4jKernels();
        }
        if (!VectorApi.present()) {
            VectorApi.warnMissingOnce();
            return new Nd4jKernels();
        }
        return VectorKernels.available() ? new VectorKernels() : new Nd4jKernels();
    }

    String name();

    /**
     * The projections' GEMM: c = a·op(b), or c += a·op(b) with accumulate; a: [M, K]; b: [N, K] when transB
     * (a weight in torch's [out, in] layout), else [K, N]; c: [M, N]. Here ND4J's (OpenBLAS on the CPU backend);
     * {@link VectorKernels} uses oneDNN's brgemm kernels where the CPU has them.
     */
    default void gemm(INDArray a, INDArray b, boolean transB, INDArray c, boolean accumulate) {
        if (accumulate) {
            Nd4j.gemm(a, b, c, false, transB, 1.0, 1.0);
        } else {
            Nd4j.matmul(a, b, c, false, transB, false);
        }
    }

    /**
     * y = x·Wᵀ for a frozen float32 weight (never written while the model lives): the projections' forward GEMM;
     * x: [N, in], w: [out, in], y: [N, out]. {@link VectorKernels} multiplies through a copy of W packed once
     * for oneDNN where the CPU has its brgemm kernels.
     */
    default void project(INDArray x, INDArray w, INDArray y) {
        gemm(x, w, true, y, false);
    }

    /**
     * y = x·Wᵀ for a few rows (decoding: one token per batch row), where a general GEMM is bound by its call
     * overhead and a single thread's memory bandwidth. x: [N, in]; w: [out, in]; y: [N, out].
     */
    void matVec(INDArray x, INDArray w, INDArray y);

    /**
     * The attention's batched products: c[i] = op(a[i])·op(b[i mod nb]) for each of the n small matrices (n = B·H
     * for heads), op transposing when asked; with add, c[i] += instead. a: [n, M, K] ([n, K, M] if transA);
     * b: [nb, K, N] ([nb, N, K] if transB), nb dividing n (nb = H: one weight slice per head); c: [n, M, N].
     */
    void batchedMatmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add);

    /** c[i] = op(a[i])·op(b[i mod nb]); see {@link #batchedMatmul(INDArray, boolean, INDArray, boolean, INDArray, boolean)}. */
    default void batchedMatmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c) {
        batchedMatmul(a, transA, b, transB, c, false);
    }

    /** Row counts up to which {@link #matVec} is used instead of a GEMM. */
    int MATVEC_MAX_ROWS = 4;

    /** out[n] = w ⊙ x[n] / sqrt(mean(x[n]²) + eps); x, out: [N, D]; w: [D]. */
    void rmsNorm(INDArray x, INDArray w, float eps, INDArray out);

    /**
     * Inverts {@code out = w ⊙ x·r, r = (mean(x²)+eps)^-½}: with g = w ⊙ dOut,
     * dx = r·g − x·r³·mean(g ⊙ x). Writes dx, or adds it to dx when {@code accumulate}.
     */
    void rmsNormBackward(INDArray x, INDArray w, float eps, INDArray dOut, INDArray dx, boolean accumulate);

    /**
     * Scores to attention probabilities, in place: scores[b·H+h, i, :] = softmax(scores + bias[h, i, :]
     * over visible keys). scores: [B·H, Lq, Lk]; bias: [H, Lq, Lk] or null (cross-attention).
     */
    void softmax(INDArray scores, INDArray bias, AttentionMask mask, int heads);

    /**
     * probs = softmax(Q·Kᵀ + bias + mask): {@link #batchedMatmul} then {@link #softmax}, which a kernel may fuse
     * (each head's scores normalized while they are still in cache). qh: [B·H, Lq, K]; kh: [B·H, Lk, K];
     * probs: [B·H, Lq, Lk].
     */
    default void attentionProbs(INDArray qh, INDArray kh, INDArray bias, AttentionMask mask, int heads, INDArray probs) {
        batchedMatmul(qh, false, kh, true, probs);
        softmax(probs, bias, mask, heads);
    }

    /** into = drop(probs) (a copy, then {@link #dropout}) and returns it; without dropout, probs itself. */
    default INDArray dropped(INDArray probs, Dropout drop, INDArray into) {
        if (!drop.active()) {
            return probs;
        }
        into.assign(probs);
        dropout(into, drop.rate(), drop.seed(), drop.offset(into.length()));
        return into;
    }

    /**
     * ctx = drop(probs)·V after {@link #attentionProbs}, keeping probs (the backward's); with dropout, dropped
     * receives drop(probs) (elements counted over the whole array, as {@link #dropout}). A kernel may run it
     * all for one head at a time, while its probabilities are in cache. vh: [B·H, Lk, K]; ctx: [B·H, Lq, K];
     * dropped like probs (unused without dropout, may be null then).
     */
    default void attention(INDArray qh, INDArray kh, INDArray vh, INDArray bias, AttentionMask mask, int heads,
                           INDArray probs, INDArray ctx, Dropout drop, INDArray dropped) {
        attentionProbs(qh, kh, bias, mask, heads, probs);
        batchedMatmul(dropped(probs, drop, dropped), false, vh, false, ctx);
    }

    /** {@link #attention(INDArray, INDArray, INDArray, INDArray, AttentionMask, int, INDArray, INDArray, Dropout, INDArray)} without dropout. */
    default void attention(INDArray qh, INDArray kh, INDArray vh, INDArray bias, AttentionMask mask, int heads,
                           INDArray probs, INDArray ctx) {
        attention(qh, kh, vh, bias, mask, heads, probs, ctx, Dropout.NONE, null);
    }

    /**
     * Inverts the softmax in place: dProbs becomes dScores = p ⊙ (dp − Σⱼ dpⱼ·pⱼ) per row. Hidden keys have
     * p = 0 and get no gradient; the bias is frozen. probs, dProbs: [B·H, Lq, Lk].
     */
    void softmaxBackward(INDArray probs, INDArray dProbs);

    /**
     * The attention's backward from dCtx through ctx = drop(P)·V and P = softmax(Q·Kᵀ + bias + mask):
     * dProbs = dCtx·Vᵀ, dV = drop(P)ᵀ·dCtx (drop(P) regenerated into dropped), dProbs → drop's backward →
     * dScores ({@link #softmaxBackward}), dQ = dScores·K, dK = dScoresᵀ·Q. A kernel may run them for one head at
     * a time while its [Lq, Lk] slices are in cache. dCtx, qh, dQh: [B·H, Lq, K]; kh, vh, dKh, dVh:
     * [B·H, Lk, K]; probs, dProbs, dropped: [B·H, Lq, Lk] (dropped unused without dropout, may be null then).
     */
    default void attentionBackward(INDArray dCtx, INDArray probs, INDArray qh, INDArray kh, INDArray vh,
                                   INDArray dProbs, INDArray dQh, INDArray dKh, INDArray dVh, Dropout drop,
                                   INDArray dropped) {
        batchedMatmul(dCtx, false, vh, true, dProbs);
        batchedMatmul(dropped(probs, drop, dropped), true, dCtx, false, dVh);
        if (drop.active()) {
            dropout(dProbs, drop.rate(), drop.seed(), drop.offset(dProbs.length()));
        }
        softmaxBackward(probs, dProbs);
        batchedMatmul(dProbs, false, kh, false, dQh);
        batchedMatmul(dProbs, true, qh, false, dKh);
    }

    /** {@link #attentionBackward(INDArray, INDArray, INDArray, INDArray, INDArray, INDArray, INDArray, INDArray, INDArray, Dropout, INDArray)} without dropout. */
    default void attentionBackward(INDArray dCtx, INDArray probs, INDArray qh, INDArray kh, INDArray vh,
                                   INDArray dProbs, INDArray dQh, INDArray dKh, INDArray dVh) {
        attentionBackward(dCtx, probs, qh, kh, vh, dProbs, dQh, dKh, dVh, Dropout.NONE, null);
    }

    /**
     * Inverted dropout in place: x[i] = keep(seed, i) ? x[i] / (1 − rate) : 0, with element i counted in x's
     * row-major order, offset by {@code offset} (its index in the whole batch when x belongs to a micro-batch:
     * {@link dev.t5pt.model.Dropout#offset}), and keep from {@link dev.t5pt.model.Dropout#keep}. Its own backward:
     * applied to the gradient with the same seed and offset.
     */
    void dropout(INDArray x, float rate, long seed, long offset);

    /** x = max(x, 0) in place; x: [N, F]. */
    void relu(INDArray x);

    /**
     * out = x + y elementwise (the residual sums); out may be x. All of one shape. A kernel, not an ND4J op, since
     * a decode step's 18 sums of 512 floats would otherwise cost ~15 µs each in op overhead.
     */
    void add(INDArray x, INDArray y, INDArray out);

    /** Inverts {@code y = max(x, 0)} from its output: dy = dy ⊙ [y > 0], in place; y, dy: [N, F]. */
    void reluBackward(INDArray y, INDArray dy);

    /** out = gelu_new(gate) ⊙ linear (tanh approximation); gate, linear, out: [N, F]. */
    void geluGate(INDArray gate, INDArray linear, INDArray out);

    /**
     * Inverts {@code out = gelu_new(gate) ⊙ linear}: dGate = dOut ⊙ linear ⊙ gelu_new'(gate),
     * dLinear = dOut ⊙ gelu_new(gate). All [N, F].
     */
    void geluGateBackward(INDArray gate, INDArray linear, INDArray dOut, INDArray dGate, INDArray dLinear);

    /**
     * Heads apart: dst[b·H+h, pos+l, :] = src[b·L+l, col+h·K : col+(h+1)·K]. src: [B·L, C] with C ≥ col+I (a
     * fused Q|K|V projection holds three head groups side by side); dst: [B·H, Ld, K], Ld ≥ pos+L.
     */
    void splitHeads(INDArray src, int col, INDArray dst, int batch, int pos);

    /**
     * Heads together: dst[b·L+l, col+h·K : col+(h+1)·K] = src[b·H+h, l, :]. src: [B·H, L, K]; dst: [B·L, C],
     * C ≥ col+I; other columns of dst are left as they are.
     */
    void mergeHeads(INDArray src, INDArray dst, int col, int batch);

    /** dst[dstRow+i] = table[ids[i]]; table: [V, D]; dst: [N, D]. */
    void gatherRows(INDArray table, int[] ids, INDArray dst, long dstRow);

    /** dst[dstRow+i] = table[ids[i]] in float32, the table held in any format; table: [V, D]; dst: [N, D]. */
    default void gatherRows(Frozen table, int[] ids, INDArray dst, long dstRow) {
        if (table instanceof Frozen.F32 f) {
            gatherRows(f.array(), ids, dst, dstRow);
            return;
        }
        for (int i = 0; i < ids.length; i++) {
            upcast(table, ids[i], ids[i] + 1, dst, dstRow + i);
        }
    }

    /**
     * y = x·Wᵀ for a few rows with W held in any format: float32 through {@link #matVec(INDArray, INDArray, INDArray)},
     * bfloat16 and int8 read as they are held (a bfloat16 W gives the bits of its float32 upcast).
     */
    default void matVec(INDArray x, Frozen w, INDArray y) {
        if (w instanceof Frozen.F32 f) {
            matVec(x, f.array(), y);
        } else {
            matVecCompact(x, w, y);
        }
    }

    /** {@link #matVec(INDArray, Frozen, INDArray)} for a bfloat16 or int8 W. */
    void matVecCompact(INDArray x, Frozen w, INDArray y);

    /**
     * dst[dstRow + o − from] = W[o] in float32 for o in [from, to): exact for float32 and bfloat16, scale·q for
     * int8. W: [out, in]; dst: [*, in] FLOAT, 'c', contiguous.
     */
    void upcast(Frozen w, int from, int to, INDArray dst, long dstRow);

    /** dst[dstRow+i] = src[i]; src: [R, D]; dst: [N, D]. */
    void copyRows(INDArray src, INDArray dst, long dstRow);

    /**
     * out[n] = the index of the largest value of x[n, :], the first one on ties (as torch.argmax): greedy
     * decoding's pick without copying the logits to the heap. x: [N, V]; out: at least N long.
     */
    void argmaxRows(INDArray x, int[] out);

    /**
     * out[n] = argmax_o (x·Wᵀ)[n, o] exactly as {@link #matVec} then {@link #argmaxRows} would give it: greedy
     * decoding's pick when nobody needs the logits. A kernel may use screen, W's 8-bit copy with error bounds, to
     * compute in full only the rows that can hold the maximum. x: [N, D] with N ≤ {@link #MATVEC_MAX_ROWS};
     * w: [V, D] held as float32 or bfloat16; screen: {@code QuantizedRows.of(w)}; scratch: [N, V], overwritten.
     */
    default void argmaxOfProduct(INDArray x, Frozen w, QuantizedRows screen, INDArray scratch, int[] out) {
        matVec(x, w, scratch);
        argmaxRows(scratch, out);
    }

    /**
     * Mean cross-entropy over rows whose label is not {@code ignore}: −log softmax(logits[n])[labels[n]].
     * logits: [N, V]; labels: [N]. Returns the sum of the per-row losses (the caller divides by the count).
     */
    double crossEntropySum(INDArray logits, int[] labels, int ignore);

    /**
     * Inverts {@code scale · Σ crossEntropy}: dLogits[n] = scale·(softmax(logits[n]) − onehot(labels[n])), and 0
     * for ignored rows. logits, dLogits: [N, V].
     */
    void crossEntropyBackward(INDArray logits, int[] labels, int ignore, double scale, INDArray dLogits);
}
