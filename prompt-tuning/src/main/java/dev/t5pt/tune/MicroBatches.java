package dev.t5pt.tune;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.PromptGradient;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * Gradient accumulation: a step's batch [B rows] as B/M micro-batches of M rows, each padded to the batch's
 * lengths and with its dropout keyed by each row's position in the whole batch; their losses and gradients (each
 * averaged over the whole batch's labels) are summed in micro-batch order. Memory is that of one micro-batch;
 * the masks do not depend on M, and whoever computes the parts (this thread, or executors elsewhere) gets the
 * same bits as long as it sums them in this order.
 */
public final class MicroBatches {
    private MicroBatches() {
    }

    /** One micro-batch's share: its part of the batch's loss and of dL/dP [P·d_model]. */
    public record Part(double loss, float[] grad) implements java.io.Serializable {
    }

    /** How many micro-batches a batch of this size makes (micro 0: the batch whole, one part). */
    public static int count(int batchSize, int micro) {
        return micro == 0 ? 1 : batchSize / micro;
    }

    /**
     * Micro-batch m of the step's batch. stepDropout: the step's dropout (sliced here). labelCount: the whole
     * batch's (the mean's denominator). micro 0: the whole batch, exactly as without accumulation.
     */
    public static Part part(T5Model model, Activations act, Batch batch, int m, int micro, INDArray prompt,
                            boolean checkpointing, Dropout stepDropout, int labelCount) {
        PromptGradient g;
        if (micro == 0) {
            g = model.lossAndPromptGrad(act, batch, prompt, checkpointing, stepDropout, 0);
        } else {
            int from = m * micro;
            g = model.lossAndPromptGrad(act, batch.rows(from, from + micro), prompt, checkpointing,
                    stepDropout.slice(from, micro), labelCount);
        }
        return new Part(g.loss(), g.grad().data().asFloat());
    }

    /** The parts summed in index order: the step's loss and gradient. */
    public static Part sum(List<Part> parts) {
        float[] grad = parts.get(0).grad().clone();
        double loss = parts.get(0).loss();
        for (int m = 1; m < parts.size(); m++) {
            float[] g = parts.get(m).grad();
            for (int i = 0; i < grad.length; i++) {
                grad[i] += g[i];
            }
            loss += parts.get(m).loss();
        }
        return new Part(loss, grad);
    }

    /** The step's loss and gradient computed here, part after part. */
    public static Part compute(T5Model model, Activations act, Batch batch, int micro, INDArray prompt,
                               boolean checkpointing, Dropout stepDropout) {
        int n = count(batch.size(), micro);
        int labels = batch.labelCount();
        Part[] parts = new Part[n];
        for (int m = 0; m < n; m++) {
            parts[m] = part(model, act, batch, m, micro, prompt, checkpointing, stepDropout, labels);
        }
        return sum(List.of(parts));
    }
}
