package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import org.nd4j.linalg.api.ndarray.INDArray;

/** T5's layer norm: scale only, no mean subtraction, no bias: y = w ⊙ x / sqrt(mean(x²) + eps). */
public record RmsNorm(INDArray weight /* [D] */, float eps) {

    /** x, y: [N, D]. */
    public void forward(Kernels k, INDArray x, INDArray y) {
        k.rmsNorm(x, weight, eps, y);
    }

    /** Inverts y = w ⊙ x·r from the saved input x: writes (or adds to) dx [N, D]. */
    public void backward(Kernels k, INDArray x, INDArray dy, INDArray dx, boolean accumulate) {
        k.rmsNormBackward(x, weight, eps, dy, dx, accumulate);
    }
}
