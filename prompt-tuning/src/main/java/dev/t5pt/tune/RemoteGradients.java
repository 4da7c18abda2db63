package dev.t5pt.tune;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * A {@link Trainer.GradientSource} that computes a step's micro-batches elsewhere (a cluster's executors) and sums
 * them as {@link MicroBatches#sum} does, so a run's bytes are those of the run in one process. Engines plug in
 * through {@link java.util.ServiceLoader} ({@link Provider}): the library never depends on them.
 */
public interface RemoteGradients extends Trainer.GradientSource, AutoCloseable {
    /** An engine, e.g. "spark" (module t5pt-spark). */
    interface Provider {
        String name();

        /** Connects to master (the engine's own form, e.g. local[2] or spark://host:7077) for this run. */
        RemoteGradients open(String master, Path model, TrainConfig cfg) throws IOException;
    }

    /** The engine's gradients for this run; a clear error when the engine's module is not on the class path. */
    static RemoteGradients open(String engine, String master, Path model, TrainConfig cfg) throws IOException {
        for (Provider p : ServiceLoader.load(Provider.class)) {
            if (p.name().equals(engine)) {
                return p.open(master, model, cfg);
            }
        }
        throw new IllegalStateException("the " + engine + " engine is not on the class path (module t5pt-" + engine
                + "; ./t5pt adds it for --" + engine + " once it is built)");
    }

    @Override
    void close();
}
