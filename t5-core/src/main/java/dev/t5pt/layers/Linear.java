package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A bias-free projection in torch's layout: y = x·Wᵀ with W [out, in], held as float32, bfloat16 or int8.
 * Frozen: no weight gradient. A few rows (decoding) go through the kernels' matVec, which reads any format
 * directly; more rows are one GEMM, over W itself (float32: {@link Kernels#project}) or over its float32 upcast
 * ({@link Upcast}, through {@link Kernels#gemm}).
 */
public record Linear(Frozen weight /* [out, in] */) {

    /** A float32 projection. */
    public Linear(INDArray weight /* [out, in] */) {
        this(new Frozen.F32(weight));
    }

    public long in() {
        return weight.cols();
    }

    public long out() {
        return weight.rows();
    }

    /** y = x·Wᵀ; x: [N, in], y: [N, out] (preallocated). */
    public void forward(Kernels kr, INDArray x, INDArray y) {
        if (x.size(0) <= Kernels.MATVEC_MAX_ROWS) {
            kr.matVec(x, weight, y);
        } else if (weight instanceof Frozen.F32 f) {
            kr.project(x, f.array(), y);
        } else {
            Upcast.forward(kr, weight, x, y);
        }
    }

    /** Inverts y = x·Wᵀ: dx = dy·W (or dx += dy·W when accumulating); dy: [N, out], dx: [N, in]. */
    public void backward(Kernels kr, INDArray dy, INDArray dx, boolean accumulate) {
        if (weight instanceof Frozen.F32 f) {
            kr.gemm(dy, f.array(), false, dx, accumulate);
        } else {
            Upcast.backward(kr, weight, dy, dx, accumulate);
        }
    }
}
