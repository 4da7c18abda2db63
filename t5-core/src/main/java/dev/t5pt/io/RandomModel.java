package dev.t5pt.io;

import dev.t5pt.config.T5Config;
import dev.t5pt.kernels.Nd4jKernels;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a model directory (config.json + model.safetensors) of seeded random weights for any config:
 * every tensor the loader asks for, under its HF name. For demos, tests and benchmarks without real
 * weights.
 */
public final class RandomModel {
    private RandomModel() {
    }

    public static void write(T5Config config, long seed, Path dir, DType storeAs) throws IOException {
        Map<String, INDArray> tensors = new TreeMap<>();
        RandomWeights random = new RandomWeights(seed);
        T5Model.build(config, (name, shape) -> {
            INDArray a = random.get(name, shape);
            tensors.put(name, a.dup());   // the builder may release what it is given (q, k, v are stacked)
            return a;
        }, new Nd4jKernels());
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("producer", "t5pt RandomModel seed " + seed);
        tensors.forEach((k, v) -> w.put(k, v, storeAs));
        w.write(dir.resolve(WeightStore.SINGLE));
        config.save(dir.resolve("config.json"));
    }
}
