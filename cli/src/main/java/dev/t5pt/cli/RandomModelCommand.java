package dev.t5pt.cli;

import dev.t5pt.config.T5Config;
import dev.t5pt.io.AtomicDirectory;
import dev.t5pt.io.DType;
import dev.t5pt.io.RandomModel;
import dev.t5pt.perf.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "random-model", mixinStandardHelpOptions = true,
        description = {"Write a model directory (config.json + model.safetensors) of seeded random weights at a real"
                + " T5 shape: to try loading, --weights and memory at sizes no real checkpoint at hand has. The tensors"
                + " are drawn one at a time as the file is written (memory holds one tensor, never the model); the"
                + " directory appears only complete.",
                "Example: ./t5pt random-model --shape t5-xl-lm-adapt --out models/xl-random   (5.7 GB in bf16)"})
final class RandomModelCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "SHAPE|config.json",
            description = "t5-small, t5-base-lm-adapt, t5-large-lm-adapt, t5-xl-lm-adapt, t5-xxl-lm-adapt, or an HF config.json")
    String shape;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output model directory (must not exist or be empty)")
    Path out;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "f32|bf16|f16",
            description = "stored type (default: ${DEFAULT-VALUE}, as Google's T5 1.1 and LM-adapted releases)")
    String dtype;

    @Option(names = "--seed", defaultValue = "1", description = "the weights' seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        T5Config config = shape.endsWith(".json") ? T5Config.load(Path.of(shape)) : shape();
        DType storeAs = StoredType.parse(spec.commandLine(), dtype);
        Path target = out.toAbsolutePath().normalize();
        AtomicDirectory.recover(target);   // a killed earlier write: its complete copy put in place, or its pieces deleted
        if (Files.exists(target) && !(Files.isDirectory(target) && isEmpty(target))) {
            throw new ParameterException(spec.commandLine(), "--out: " + target
                    + " already exists; remove it or choose another directory (nothing was written)");
        }
        long start = System.nanoTime();
        long[] said = {start};
        AtomicDirectory.replace(target, dir -> RandomModel.write(config, seed, dir, storeAs, (name, i, n) -> {
            long now = System.nanoTime();
            if (now - said[0] > 2_000_000_000L || i == 0 || i == n - 1) {   // a line every 2 s at most
                err.printf(Locale.ROOT, "random-model: tensor %d of %d, %s (%.0f s)%n", i + 1, n, name, (now - start) / 1e9);
                err.flush();
                said[0] = now;
            }
        }));
        long bytes = Files.size(target.resolve("model.safetensors"));
        o.printf(Locale.ROOT, "wrote %s: %s, d_model %d, %d+%d layers, %s, seed %d, %.2f GB in %.0f s%n", target,
                shape, config.dModel(), config.numLayers(), config.numDecoderLayers(), storeAs, seed, bytes / 1e9,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private T5Config shape() {
        try {
            return Workloads.shape(shape);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage() + " (or give a config.json)");
        }
    }

    private static boolean isEmpty(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
