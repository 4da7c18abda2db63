package dev.t5pt.io;

import dev.t5pt.config.T5Config;
import dev.t5pt.model.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The streaming random-model writer: the shipped demo model again, byte for byte, and what RandomWeights draws. */
class RandomModelTest {
    private static final Path DEMO = Path.of("../models/tiny-t5-demo");

    @Test
    void rewritesTheShippedDemoModel(@TempDir Path tmp) throws Exception {
        T5Config c = T5Config.load(DEMO.resolve("config.json"));
        List<String> drawn = new ArrayList<>();
        RandomModel.write(c, 1, tmp, DType.BF16, (name, i, n) -> drawn.add(name));
        assertArrayEquals(Files.readAllBytes(DEMO.resolve("model.safetensors")), Files.readAllBytes(tmp.resolve("model.safetensors")));
        assertEquals(dev.t5pt.config.T5Keys.expected(c).size(), drawn.size());
    }

    @Test
    void storesWhatRandomWeightsDraws(@TempDir Path tmp) throws Exception {
        T5Config c = T5Config.load(DEMO.resolve("config.json"));
        RandomModel.write(c, 5, tmp, DType.F32);
        RandomWeights random = new RandomWeights(5);
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            for (var e : dev.t5pt.config.T5Keys.expected(c).entrySet()) {
                INDArray stored = f.read(e.getKey());
                assertEquals(random.get(e.getKey(), e.getValue()), stored, e.getKey());
            }
        }
        T5Model.load(tmp);   // and it loads
    }
}
