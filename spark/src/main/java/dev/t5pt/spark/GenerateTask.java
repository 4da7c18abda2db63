package dev.t5pt.spark;

import dev.t5pt.generate.TextGenerator;
import org.apache.spark.api.java.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/** One slice of the texts to generate from, as a Spark task (the prompt as flat floats and a shape, or none). */
record GenerateTask(ModelRef model, String vocab, float[] prompt, long[] shape, TextGenerator.Options options)
        implements Function<List<String>, List<TextGenerator.Output>> {

    @Override
    public List<TextGenerator.Output> call(List<String> texts) {
        var p = prompt == null ? null : Nd4j.create(prompt, shape, 'c').castTo(DataType.FLOAT);
        return new ArrayList<>(TextGenerator.generate(ExecutorModels.model(model), ExecutorModels.tokenizer(vocab),
                ExecutorModels.activations(), texts, p, options));
    }
}
