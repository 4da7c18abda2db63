package dev.t5pt.model;

import dev.t5pt.kernels.AttentionMask;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The encoder's output for one batch: hidden [B·Le, D] with Le = promptLength + L, the key mask the
 * decoder's cross-attention uses (the prompt-extended attention mask), and the pass backward inverts.
 */
public record Encoded(INDArray hidden, int batch, int length, int promptLength, AttentionMask.KeyPadding mask,
                      Encoder.Pass pass) {

    /** hidden as [B, Le, D]. */
    public INDArray hidden3d() {
        return hidden.reshape('c', batch, length, hidden.size(1));
    }
}
