package dev.t5pt.generate;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Sees the logits [B, V] each decoding step produced (step t predicts the t-th generated token). */
@FunctionalInterface
public interface StepListener {
    /**
     * No listener: the decoder may then pick each token without computing every logit (see
     * {@link dev.t5pt.kernels.Kernels#argmaxOfProduct}); the tokens are the same.
     */
    StepListener NONE = new StepListener() {
        @Override
        public void onStep(int step, INDArray logits) {
        }

        @Override
        public boolean wantsLogits() {
            return false;
        }
    };

    void onStep(int step, INDArray logits);

    /** Whether {@link #onStep} reads the logits, which must then all be computed. */
    default boolean wantsLogits() {
        return true;
    }
}
