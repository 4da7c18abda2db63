package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Products with a compact (bfloat16 / int8) weight over many rows: W is upcast into a float32 scratch and
 * multiplied by the same GEMM as a float32 weight — the same bits for bfloat16, whose upcast is exact. The
 * upcast costs one pass over W against N·out·in multiply-adds (N = 1824 rows in a prompt-tuning step).
 * A matrix of up to {@link #CAPACITY} floats is upcast whole; a larger one (the LM head, T5-XXL's FFN) in
 * slices of its rows, each slice's product through a second scratch, so the scratch stays bounded.
 * One scratch per thread (the model's weights are shared; each thread computes into its own buffers), grown on
 * demand and kept: it is part of the thread's working set, like its Activations.
 */
final class Upcast {
    private Upcast() {
    }

    /** Floats of W upcast at a time: 64 MB. */
    static final long CAPACITY = 1L << 24;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** This thread's two scratch arrays: the upcast weight, and a slice's product (or its gradient). */
    private static final class Buffers {
        private INDArray weight = Nd4j.createUninitialized(DataType.FLOAT, 1);
        private INDArray slice = Nd4j.createUninitialized(DataType.FLOAT, 1);

        INDArray weight(long rows, long cols) {
            weight = grown(weight, rows * cols);
            return view(weight, rows, cols);
        }

        INDArray slice(long rows, long cols) {
            slice = grown(slice, rows * cols);
            return view(slice, rows, cols);
        }

        private static INDArray grown(INDArray have, long n) {
            return have.length() >= n ? have : Nd4j.createUninitialized(DataType.FLOAT, n);
        }

        private static INDArray view(INDArray flat, long rows, long cols) {
            return flat.get(NDArrayIndex.interval(0, rows * cols)).reshape('c', rows, cols);
        }
    }

    /** Rows of W per slice: all of them when W fits the scratch. */
    static int sliceRows(Frozen w) {
        return (int) Math.max(1, Math.min(w.rows(), CAPACITY / w.cols()));
    }

    /**
     * W rows [from, to) in float32, in this thread's scratch: valid until the thread's next upcast. For products
     * that read W in another layout (the attention's per-head weight slices). W rows ≤ {@link #CAPACITY} / cols.
     */
    static INDArray rows(Kernels kr, Frozen w, int from, int to) {
        if (w instanceof Frozen.F32 f) {
            return f.rows(from, to).array();
        }
        INDArray dst = BUFFERS.get().weight(to - from, w.cols());
        kr.upcast(w, from, to, dst, 0);
        return dst;
    }

    /** y = x·Wᵀ; x: [N, in], y: [N, out]. */
    static void forward(Kernels kr, Frozen w, INDArray x, INDArray y) {
        int step = sliceRows(w);
        if (step == w.rows()) {
            kr.gemm(x, rows(kr, w, 0, w.rows()), true, y, false);
            return;
        }
        Buffers b = BUFFERS.get();
        for (int from = 0; from < w.rows(); from += step) {
            int to = Math.min(w.rows(), from + step);
            INDArray part = b.slice(x.size(0), to - from);
            INDArray wRows = rows(kr, w, from, to);
            kr.gemm(x, wRows, true, part, false);                   // y[:, from:to] = x·W[from:to]ᵀ
            y.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).assign(part);
        }
    }

    /** dx (+)= dy·W; dy: [N, out], dx: [N, in]. */
    static void backward(Kernels kr, Frozen w, INDArray dy, INDArray dx, boolean accumulate) {
        int step = sliceRows(w);
        Buffers b = BUFFERS.get();
        for (int from = 0; from < w.rows(); from += step) {
            int to = Math.min(w.rows(), from + step);
            INDArray wRows = rows(kr, w, from, to);
            INDArray dyPart = step == w.rows() ? dy : b.slice(dy.size(0), to - from).assign(
                    dy.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)));
            kr.gemm(dyPart, wRows, false, dx, accumulate || from > 0);  // dx (+)= dy[:, from:to]·W[from:to]
        }
    }
}
