package dev.t5pt.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The loss of one batch and dLoss/dP [p, D], summed over the batch rows (every row shares P). */
public record PromptGradient(double loss, INDArray grad, int labelCount) {
}
