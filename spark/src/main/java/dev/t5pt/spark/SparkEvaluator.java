package dev.t5pt.spark;

import dev.t5pt.tune.Engine;
import dev.t5pt.tune.Evaluator;
import dev.t5pt.tune.Tokenized;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluation on Spark executors with the predictions of one process: the data is cut into slices at multiples of
 * {@link Evaluator}'s batch rows, so every slice makes the very batches the in-process evaluator makes; each task
 * evaluates one slice with its executor's model, and the driver joins the slices' predictions in order.
 */
final class SparkEvaluator implements Engine.RemoteEvaluator {
    /** Batches per task: enough work per task to pay for its scheduling (~10 ms in local mode). */
    static final int BATCHES_PER_TASK = 2;

    private final JavaSparkContext sc;
    private final ModelRef model;
    private final String vocab;
    private final int batchSize;
    private final int maxDecodeSteps;

    SparkEvaluator(JavaSparkContext sc, ModelRef model, String vocab, int batchSize, int maxDecodeSteps) {
        this.sc = sc;
        this.model = model;
        this.vocab = vocab;
        this.batchSize = batchSize;
        this.maxDecodeSteps = maxDecodeSteps;
    }

    @Override
    public List<List<String>> generate(Tokenized data, List<INDArray> prompts) {
        int rows = Evaluator.generationRows(batchSize, prompts.size());
        return run(data, prompts, null, rows);
    }

    @Override
    public List<List<String>> rank(Tokenized data, List<INDArray> prompts, List<String> candidates) {
        int rows = Evaluator.rankRows(batchSize, candidates.size());
        return run(data, prompts, List.copyOf(candidates), rows);
    }

    private List<List<String>> run(Tokenized data, List<INDArray> prompts, List<String> candidates, int batchRows) {
        int slice = batchRows * BATCHES_PER_TASK;
        List<EvalTask.Slice> slices = new ArrayList<>();
        for (int from = 0; from < data.size(); from += slice) {
            int to = Math.min(data.size(), from + slice);
            slices.add(new EvalTask.Slice(data.inputs().subList(from, to).toArray(int[][]::new),
                    data.targets().subList(from, to).toArray(int[][]::new)));
        }
        List<float[]> p = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        for (INDArray a : prompts) {
            p.add(a == null ? null : a.data().asFloat());
            shapes.add(a == null ? null : a.shape());
        }
        EvalTask task = new EvalTask(model, vocab, batchSize, maxDecodeSteps, p, shapes, candidates);
        List<List<List<String>>> parts = sc.parallelize(slices, slices.size()).map(task).collect();
        List<List<String>> out = new ArrayList<>();
        for (int j = 0; j < prompts.size(); j++) {
            List<String> joined = new ArrayList<>();
            for (List<List<String>> part : parts) {
                joined.addAll(part.get(j));
            }
            out.add(joined);
        }
        return out;
    }

    @Override
    public void close() {
        sc.stop();
    }
}
