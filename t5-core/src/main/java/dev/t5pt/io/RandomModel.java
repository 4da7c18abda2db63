package dev.t5pt.io;

import dev.t5pt.config.T5Config;
import dev.t5pt.config.T5Keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a model directory (config.json + model.safetensors) of seeded random weights for any config: every tensor
 * the loader reads ({@link T5Keys}), under its HF name, with {@link RandomWeights#get}'s values (so the file loads
 * as {@code T5Model.build(config, new RandomWeights(seed), ...)} builds in float32). The tensors are drawn one at a
 * time as the file is written: memory holds one tensor, never the model (T5-XXL's largest is the 0.5 GB
 * embedding). For demos, tests and benchmarks of real-size checkpoints without real weights.
 */
public final class RandomModel {
    private RandomModel() {
    }

    /** Called before each tensor is drawn: its name, its index and the count. */
    @FunctionalInterface
    public interface Progress {
        void tensor(String name, int index, int count);

        Progress NONE = (name, index, count) -> { };
    }

    public static void write(T5Config config, long seed, Path dir, DType storeAs) throws IOException {
        write(config, seed, dir, storeAs, Progress.NONE);
    }

    /** The directory is created if missing; model.safetensors and config.json each appear only complete. */
    public static void write(T5Config config, long seed, Path dir, DType storeAs, Progress progress) throws IOException {
        RandomWeights random = new RandomWeights(seed);
        Map<String, long[]> tensors = T5Keys.expected(config);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("producer", "t5pt RandomModel seed " + seed);
        int[] index = {0};
        // the writer goes through the names in sorted order; count them in the order they are drawn
        tensors.forEach((name, shape) -> w.putLazy(name, storeAs, shape, () -> {
            progress.tensor(name, index[0]++, tensors.size());
            return random.get(name, shape);
        }));
        Files.createDirectories(dir);
        w.write(dir.resolve(WeightStore.SINGLE));
        config.save(dir.resolve("config.json"));
    }
}
