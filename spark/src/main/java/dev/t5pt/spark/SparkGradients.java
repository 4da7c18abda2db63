package dev.t5pt.spark;

import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.tune.MicroBatches;
import dev.t5pt.tune.Engine;
import dev.t5pt.tune.TrainConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * A step's micro-batches on Spark executors. The driver keeps the prompt, the optimizer and the run; each step
 * it broadcasts the prompt [P, d_model] and runs one task per micro-batch (its rows travel in the task: a few KB
 * of ids); an executor computes the micro-batch's loss and dL/dP with its JVM's frozen model ({@link
 * ExecutorModels}) and its thread's buffers, and the driver collects the parts in micro-batch order and sums them
 * as the in-process run does ({@link MicroBatches#sum}): the same bytes. A failed task is rerun by Spark (the
 * part is a pure function of its inputs), so a lost executor changes nothing but the time.
 */
final class SparkGradients implements Engine.Gradients {
    /** Fault injection for tests: "STEP:PART" makes that part's first attempt fail. */
    static final String FAIL_ONCE = "t5pt.spark.failOnce";

    private final JavaSparkContext sc;   // this run's: stopped when the run closes
    private final ModelRef model;
    private final TrainConfig cfg;
    private final String failOnce;

    SparkGradients(JavaSparkContext sc, ModelRef model, TrainConfig cfg) {
        this.sc = sc;
        this.model = model;
        this.cfg = cfg;
        this.failOnce = System.getProperty(FAIL_ONCE, "");
    }

    @Override
    public MicroBatches.Part compute(long step, Batch batch, INDArray prompt, Dropout stepDropout) {
        int micro = cfg.microBatchSize();
        int n = MicroBatches.count(batch.size(), micro);
        Broadcast<float[]> p = sc.broadcast(prompt.data().asFloat());
        try {
            List<Integer> parts = new ArrayList<>();
            for (int m = 0; m < n; m++) {
                parts.add(m);
            }
            PartTask task = new PartTask(model, batch.inputIds(), batch.attentionMask(), batch.labels(), micro,
                    (int) prompt.size(0), (int) prompt.size(1), p, cfg.activationCheckpointing(), stepDropout.rate(),
                    stepDropout.seed(), batch.labelCount(), step, failOnce);
            // one partition per micro-batch: collect returns the parts in micro-batch order
            return MicroBatches.sum(sc.parallelize(parts, n).map(task).collect());
        } finally {
            p.destroy();
        }
    }

    @Override
    public void close() {
        sc.stop();
    }
}
