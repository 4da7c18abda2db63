package dev.t5pt.spark;

import dev.t5pt.tune.RemoteGradients;
import dev.t5pt.tune.TrainConfig;

import java.nio.file.Path;

/** The "spark" engine of {@link RemoteGradients} (found through META-INF/services). */
public final class SparkEngine implements RemoteGradients.Provider {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public RemoteGradients open(String master, Path model, TrainConfig cfg) {
        String location = model.toString().contains("://") ? model.toString() : model.toAbsolutePath().normalize().toString();
        return SparkGradients.open(master, location, cfg);
    }
}
