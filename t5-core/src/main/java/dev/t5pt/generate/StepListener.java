package dev.t5pt.generate;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Sees the logits [B, V] each decoding step produced (step t predicts the t-th generated token). */
@FunctionalInterface
public interface StepListener {
    StepListener NONE = (step, logits) -> { };

    void onStep(int step, INDArray logits);
}
