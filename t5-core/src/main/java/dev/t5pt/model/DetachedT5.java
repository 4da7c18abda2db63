package dev.t5pt.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link T5Model} for callers who do not manage buffers: one set of {@link Activations}, calls serialized on
 * it, every result a copy no later call overwrites. Eval mode (no dropout); prompt [p, D] or null for none,
 * shared by every row of the batch. For throughput (one Activations per thread, no copies) call the model.
 */
public final class DetachedT5 {
    private final T5Model model;
    private final Activations own = new Activations();

    public DetachedT5(T5Model model) {
        this.model = model;
    }

    public T5Model model() {
        return model;
    }

    /** The encoder output [B, p+L, D]. */
    public synchronized INDArray encode(Batch batch, INDArray prompt) {
        return model.encode(own, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE)
                .hidden3d().dup();
    }

    /** Hidden states, logits and the mean loss of the labels. */
    public synchronized Forward forward(Batch batch, INDArray prompt) {
        return model.forward(own, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE).detach();
    }

    /** The mean loss of the labels given the inputs (and prompt). */
    public synchronized double loss(Batch batch, INDArray prompt) {
        return model.forward(own, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE).loss();
    }

    /** The loss and dLoss/dP (P must be given). */
    public synchronized PromptGradient lossAndPromptGrad(Batch batch, INDArray prompt) {
        PromptGradient g = model.lossAndPromptGrad(own, batch, prompt, false, Dropout.NONE, 0);
        return new PromptGradient(g.loss(), g.grad().dup(), g.labelCount());
    }
}
