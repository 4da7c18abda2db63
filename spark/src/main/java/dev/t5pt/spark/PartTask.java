package dev.t5pt.spark;

import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.tune.MicroBatches;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One micro-batch's part of a step, as a Spark task: everything it needs travels with it (the batch's ids
 * [B, L] and labels [B, T], the prompt as a broadcast [P·d_model], the step's dropout), so any executor, and any
 * retry, computes the same part.
 */
record PartTask(ModelRef model, int[][] inputIds, int[][] attentionMask, int[][] labels, int micro, int promptRows,
                int promptCols, Broadcast<float[]> prompt, boolean checkpointing, float dropoutRate, long dropoutSeed,
                int labelCount, long step, String failOnce) implements Function<Integer, MicroBatches.Part> {
    /** Failures injected in this JVM (tests in local mode read it). */
    static final java.util.concurrent.atomic.AtomicInteger INJECTED = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public MicroBatches.Part call(Integer m) throws Exception {
        if (failOnce.equals(step + ":" + m) && TaskContext.get() != null && TaskContext.get().attemptNumber() == 0) {
            INJECTED.incrementAndGet();
            throw new IllegalStateException("injected failure of step " + step + ", micro-batch " + m + " (first attempt)");
        }
        var p = Nd4j.create(prompt.value(), new long[]{promptRows, promptCols}, 'c').castTo(DataType.FLOAT);
        return MicroBatches.part(ExecutorModels.model(model), ExecutorModels.activations(), new Batch(inputIds, attentionMask, labels),
                m, micro, p, checkpointing, new Dropout(dropoutRate, dropoutSeed), labelCount);
    }
}
