package dev.t5pt.convert;

import dev.t5pt.config.T5Config;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The converter's list of T5 tensors is exactly what t5-core's loader asks for, name by name and shape by shape. */
class T5KeysTest {
    static final List<String> MODELS = Fixtures.MODELS;

    @ParameterizedTest
    @FieldSource("MODELS")
    void expectedKeysAreWhatTheLoaderReads(String model) throws IOException {
        T5Config c = T5Config.load(Fixtures.model(model).resolve("config.json"));
        Map<String, String> asked = new LinkedHashMap<>();
        T5Model.build(c, (name, shape) -> {
            asked.put(name, Arrays.toString(shape));
            return Nd4j.zeros(DataType.FLOAT, shape);
        }, Kernels.forBackend());
        Map<String, String> expected = new LinkedHashMap<>();
        T5Keys.expected(c).forEach((k, v) -> expected.put(k, Arrays.toString(v)));
        assertEquals(new java.util.TreeMap<>(expected), new java.util.TreeMap<>(asked));
    }

    @Test
    void byteSizes() {
        assertEquals(5_000_000_000L, ByteSizes.parse("5GB"));
        assertEquals(500_000_000L, ByteSizes.parse("500mb"));
        assertEquals(2L << 30, ByteSizes.parse("2GiB"));
        assertEquals(123, ByteSizes.parse("123"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("5 parsecs"));
    }
}
