package dev.t5pt.config;

import dev.t5pt.Fixtures;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.T5Model;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The list of T5 tensors (the converter's check, the random-model writer's list) is what the loader asks for. */
class T5KeysTest {
    static final List<String> MODELS = Fixtures.MODELS;

    @ParameterizedTest
    @FieldSource("MODELS")
    void expectedKeysAreWhatTheLoaderReads(String model) throws IOException {
        T5Config c = T5Config.load(Fixtures.dir(model).resolve("config.json"));
        Map<String, String> asked = new TreeMap<>();
        T5Model.build(c, (name, shape) -> {
            asked.put(name, Arrays.toString(shape));
            return Nd4j.zeros(DataType.FLOAT, shape);
        }, Kernels.forBackend());
        Map<String, String> expected = new TreeMap<>();
        T5Keys.expected(c).forEach((k, v) -> expected.put(k, Arrays.toString(v)));
        assertEquals(expected, asked);
    }
}
