package dev.t5pt.spark;

import dev.t5pt.tune.Engine;
import dev.t5pt.tune.TrainConfig;

import java.nio.file.Path;

/** The "spark" {@link Engine} (found through META-INF/services). */
public final class SparkEngine implements Engine {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public Gradients gradients(String master, Path model, TrainConfig cfg) {
        return new SparkGradients(SparkGradients.context(master, "t5pt tune"), true, location(model), cfg);
    }

    @Override
    public RemoteEvaluator evaluator(String master, Path model, Path vocab, int batchSize, int maxDecodeSteps) {
        return new SparkEvaluator(SparkGradients.context(master, "t5pt eval"), location(model),
                vocab == null ? null : location(vocab), batchSize, maxDecodeSteps);
    }

    /** A path every executor can read: a URL as given (hdfs://, s3a://, file://), a local path made absolute. */
    static String location(Path p) {
        return p.toString().contains("://") ? p.toString() : p.toAbsolutePath().normalize().toString();
    }
}
