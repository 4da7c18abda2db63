package dev.t5pt.tune;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

import dev.t5pt.generate.TextGenerator;
import dev.t5pt.weights.WeightOptions;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An engine that runs t5pt's work elsewhere (a cluster's executors) with the results of one process: a step's
 * micro-batches ({@link Gradients}, summed as {@link MicroBatches#sum} does) and an evaluation's batches
 * ({@link RemoteEvaluator}, the very batches {@link Evaluator} makes). Engines plug in through
 * {@link java.util.ServiceLoader}: the library never depends on them.
 */
public interface Engine {
    /** The engine's name, e.g. "spark" (module t5pt-spark). */
    String name();

    /**
     * Gradients for this run, connected to master (the engine's form, e.g. local[2] or spark://host:7077), the
     * model held as {@code held} says on every worker.
     */
    Gradients gradients(String master, Path model, WeightOptions held, TrainConfig cfg) throws IOException;

    /** An evaluator of the model (vocab null: T5's), with Evaluator's batch size and decode steps. */
    RemoteEvaluator evaluator(String master, Path model, WeightOptions held, Path vocab, int batchSize,
                              int maxDecodeSteps) throws IOException;

    /** {@link TextGenerator#generate} of the texts by the engine: the same outputs, in the texts' order. */
    List<TextGenerator.Output> generate(String master, Path model, WeightOptions held, Path vocab, List<String> texts,
                                        INDArray prompt, TextGenerator.Options options) throws IOException;

    /** The bytes at location (a URL of a file system the engine reads, e.g. hdfs://, s3a://, file://). */
    byte[] read(String master, String location) throws IOException;

    /** A step's gradients computed by the engine. */
    interface Gradients extends Trainer.GradientSource, AutoCloseable {
        @Override
        void close();
    }

    /** {@link Evaluator}'s two methods, computed by the engine, with the same predictions. */
    interface RemoteEvaluator extends AutoCloseable {
        List<List<String>> generate(Tokenized data, List<INDArray> prompts);

        List<List<String>> rank(Tokenized data, List<INDArray> prompts, List<String> candidates);

        @Override
        void close();
    }

    /** The engine of this name; a clear error when its module is not on the class path. */
    static Engine find(String name) {
        for (Engine e : ServiceLoader.load(Engine.class)) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        throw new IllegalStateException("the " + name + " engine is not on the class path (module t5pt-" + name
                + "; ./t5pt adds it for --" + name + " once it is built)");
    }
}
