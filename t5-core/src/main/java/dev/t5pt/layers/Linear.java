package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A bias-free projection in torch's layout: y = x·Wᵀ with W [out, in]. Frozen: no weight gradient. */
public record Linear(INDArray weight /* [out, in] */) {

    public long in() {
        return weight.size(1);
    }

    public long out() {
        return weight.size(0);
    }

    /** y = x·Wᵀ; x: [N, in], y: [N, out] (preallocated). A few rows (decoding) go through the kernels' matVec. */
    public void forward(Kernels kr, INDArray x, INDArray y) {
        if (x.size(0) <= Kernels.MATVEC_MAX_ROWS) {
            kr.matVec(x, weight, y);
        } else {
            Nd4j.matmul(x, weight, y, false, true, false);
        }
    }

    /** Inverts y = x·Wᵀ: dx = dy·W (or dx += dy·W when accumulating); dy: [N, out], dx: [N, in]. */
    public void backward(INDArray dy, INDArray dx, boolean accumulate) {
        if (accumulate) {
            Nd4j.gemm(dy, weight, dx, false, false, 1.0, 1.0);
        } else {
            Nd4j.matmul(dy, weight, dx, false, false, false);
        }
    }
}
