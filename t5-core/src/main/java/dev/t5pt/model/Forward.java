package dev.t5pt.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The teacher-forced forward pass of one batch. encoderHidden [B, p+L, D] (prompt rows included),
 * decoderHidden [B, T, D] (after the final norm, before a tied model's rescale), logits [B, T, V], and the
 * mean cross-entropy over the {@code labelCount} positions whose label is not -100.
 */
public record Forward(INDArray encoderHidden, INDArray decoderHidden, INDArray logits, double loss, int labelCount) {

    /** A copy that no later call on the model can overwrite. */
    public Forward detach() {
        return new Forward(encoderHidden.dup(), decoderHidden.dup(), logits.dup(), loss, labelCount);
    }
}
