package dev.t5pt.spark;

import dev.t5pt.tune.Evaluator;
import dev.t5pt.tune.Tokenized;
import org.apache.spark.api.java.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One slice of an evaluation as a Spark task: its examples' ids, the prompts (flat floats and shapes, null for
 * none), and for rank classification the candidates. Returns predictions[prompt][example of the slice].
 */
record EvalTask(ModelRef model, String vocab, int batchSize, int maxDecodeSteps, List<float[]> prompts, List<long[]> shapes,
                List<String> candidates) implements Function<EvalTask.Slice, List<List<String>>> {

    /** Examples' input and target ids. */
    record Slice(int[][] inputs, int[][] targets) implements java.io.Serializable {
    }

    @Override
    public List<List<String>> call(Slice s) throws Exception {
        List<INDArray> p = new ArrayList<>();
        for (int j = 0; j < prompts.size(); j++) {
            p.add(prompts.get(j) == null ? null : Nd4j.create(prompts.get(j), shapes.get(j), 'c').castTo(DataType.FLOAT));
        }
        Evaluator ev = new Evaluator(ExecutorModels.model(model), ExecutorModels.tokenizer(vocab), ExecutorModels.activations(),
                batchSize, maxDecodeSteps);
        Tokenized data = new Tokenized(Arrays.asList(s.inputs()), Arrays.asList(s.targets()), 0, 0);
        List<List<String>> out = candidates == null ? ev.generate(data, p) : ev.rank(data, p, candidates);
        List<List<String>> plain = new ArrayList<>();
        out.forEach(l -> plain.add(new ArrayList<>(l)));   // serializable lists
        return plain;
    }
}
