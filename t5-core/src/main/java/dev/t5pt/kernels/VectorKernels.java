package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import dev.t5pt.model.Dropout;
import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fast CPU kernels: JDK Vector API loops over the arrays' host buffers, one pass per row, no
 * temporaries; exp, tanh and sums from {@link VectorMath}, so results are the same bits however the JVM
 * runs the code (interpreted or compiled), which resumed training depends on. Each method computes exactly what
 * its {@link Nd4jKernels} twin computes (tests hold the two together); see {@link Kernels} for shapes.
 *
 * <p>The kernels live by concern: {@link RowKernels} (norms, activations, residual sums, dropout, row copies,
 * few-row products), {@link AttentionKernels}, {@link ScreenedArgmax} (beside {@link QuantizedRows}),
 * {@link CrossEntropyKernels}, and {@link BatchedMatmul}; {@link VectorSupport} holds what they share.
 */
public final class VectorKernels implements Kernels {
    static boolean available() {
        try {
            return FloatVector.SPECIES_PREFERRED.length() >= 4;
        } catch (Throwable e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "vector(" + VectorSupport.S.vectorBitSize() + "-bit), gemm " + OneDnnGemm.describe();
    }

    /**
     * oneDNN's brgemm where available ({@link OneDnnGemm}), else ND4J's sgemm. Either brings its own threads: the
     * kernel team's idle workers park first instead of spinning beside them.
     */
    @Override
    public void gemm(INDArray a, INDArray b, boolean transB, INDArray c, boolean accumulate) {
        KernelTeam.rest();
        if (!OneDnnGemm.multiply(a, b, transB, c, accumulate)) {
            Kernels.super.gemm(a, b, transB, c, accumulate);
        }
    }

    @Override
    public void project(INDArray x, INDArray w, INDArray y) {
        KernelTeam.rest();
        if (!OneDnnGemm.project(x, w, y)) {
            gemm(x, w, true, y, false);
        }
    }

    @Override
    public void batchedMatmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add) {
        BatchedMatmul.multiply(a, transA, b, transB, c, add, null);
    }

    @Override
    public void matVec(INDArray x, INDArray w, INDArray y) {
        RowKernels.matVec(x, w, y);
    }

    @Override
    public void matVecCompact(INDArray x, Frozen w, INDArray y) {
        CompactKernels.matVec(x, w, y);
    }

    @Override
    public void upcast(Frozen w, int from, int to, INDArray dst, long dstRow) {
        if (w instanceof Frozen.F32 f) {
            RowKernels.copyRows(f.rows(from, to).array(), dst, dstRow);
        } else {
            CompactKernels.upcast(w, from, to, dst, dstRow);
        }
    }

    @Override
    public void rmsNorm(INDArray x, INDArray w, float eps, INDArray out) {
        RowKernels.rmsNorm(x, w, eps, out);
    }

    @Override
    public void rmsNormBackward(INDArray x, INDArray w, float eps, INDArray dOut, INDArray dx, boolean accumulate) {
        RowKernels.rmsNormBackward(x, w, eps, dOut, dx, accumulate);
    }

    @Override
    public void softmax(INDArray scores, INDArray bias, AttentionMask mask, int heads) {
        AttentionKernels.softmax(scores, bias, mask, heads);
    }

    @Override
    public void attentionProbs(INDArray qh, INDArray kh, INDArray bias, AttentionMask mask, int heads, INDArray probs) {
        AttentionKernels.attentionProbs(qh, kh, bias, mask, heads, probs);
    }

    @Override
    public void attention(INDArray qh, INDArray kh, INDArray vh, INDArray bias, AttentionMask mask, int heads,
                          INDArray probs, INDArray ctx, Dropout drop, INDArray dropped) {
        AttentionKernels.attention(qh, kh, vh, bias, mask, heads, probs, ctx, drop, dropped);
    }

    @Override
    public void softmaxBackward(INDArray probs, INDArray dProbs) {
        AttentionKernels.softmaxBackward(probs, dProbs);
    }

    @Override
    public void attentionBackward(INDArray dCtx, INDArray probs, INDArray qh, INDArray kh, INDArray vh,
                                  INDArray dProbs, INDArray dQh, INDArray dKh, INDArray dVh, Dropout drop,
                                  INDArray dropped) {
        AttentionKernels.attentionBackward(dCtx, probs, qh, kh, vh, dProbs, dQh, dKh, dVh, drop, dropped);
    }

    @Override
    public void reluBackward(INDArray y, INDArray dy) {
        RowKernels.reluBackward(y, dy);
    }

    @Override
    public void dropout(INDArray x, float rate, long seed, long offset) {
        RowKernels.dropout(x, rate, seed, offset);
    }

    @Override
    public void add(INDArray x, INDArray y, INDArray out) {
        RowKernels.add(x, y, out);
    }

    @Override
    public void relu(INDArray x) {
        RowKernels.relu(x);
    }

    @Override
    public void geluGate(INDArray gate, INDArray linear, INDArray out) {
        RowKernels.geluGate(gate, linear, out);
    }

    @Override
    public void geluGateBackward(INDArray gate, INDArray linear, INDArray dOut, INDArray dGate, INDArray dLinear) {
        RowKernels.geluGateBackward(gate, linear, dOut, dGate, dLinear);
    }

    @Override
    public void splitHeads(INDArray src, int col, INDArray dst, int batch, int pos) {
        AttentionKernels.splitHeads(src, col, dst, batch, pos);
    }

    @Override
    public void mergeHeads(INDArray src, INDArray dst, int col, int batch) {
        AttentionKernels.mergeHeads(src, dst, col, batch);
    }

    @Override
    public void gatherRows(INDArray table, int[] ids, INDArray dst, long dstRow) {
        RowKernels.gatherRows(table, ids, dst, dstRow);
    }

    @Override
    public void copyRows(INDArray src, INDArray dst, long dstRow) {
        RowKernels.copyRows(src, dst, dstRow);
    }

    @Override
    public void argmaxRows(INDArray x, int[] out) {
        RowKernels.argmaxRows(x, out);
    }

    @Override
    public void argmaxOfProduct(INDArray x, Frozen w, QuantizedRows screen, INDArray scratch, int[] out) {
        if (!ScreenedArgmax.argmaxOfProduct(x, w, screen, scratch, out)) {
            Kernels.super.argmaxOfProduct(x, w, screen, scratch, out);   // a non-finite value somewhere: no screening
        }
    }

    @Override
    public double crossEntropySum(INDArray logits, int[] labels, int ignore) {
        return CrossEntropyKernels.crossEntropySum(logits, labels, ignore);
    }

    @Override
    public void crossEntropyBackward(INDArray logits, int[] labels, int ignore, double scale, INDArray dLogits) {
        CrossEntropyKernels.crossEntropyBackward(logits, labels, ignore, scale, dLogits);
    }
}
