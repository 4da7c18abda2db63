package dev.t5pt.convert;

import dev.t5pt.io.SafetensorsFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Paths to test data, and the comparison every conversion test makes. */
final class Fixtures {
    static final List<String> MODELS = List.of("tiny-v1_0", "tiny-v1_1", "tiny-lm-adapt-prompt");

    private Fixtures() {
    }

    /** The HF-verified fixture model directory (config.json, model.safetensors, cases). */
    static Path model(String name) {
        return Path.of(System.getProperty("t5pt.fixtures", "../t5-core/src/test/resources/fixtures")).resolve("t5").resolve(name);
    }

    static Path resource(String path) {
        return Path.of("src/test/resources").resolve(path);
    }

    /** Every tensor of {@code expected} is in the directory {@code dir} with the same dtype, shape and bytes. */
    static void assertSameTensors(SafetensorsFile expected, Checkpoint actual) throws IOException {
        assertEquals(expected.tensors().keySet(),
                actual.tensors().stream().map(SourceTensor::name).collect(java.util.stream.Collectors.toSet()), "keys");
        for (SourceTensor t : actual.tensors()) {
            var info = expected.info(t.name());
            assertEquals(info.dtype(), t.dtype(), t.name() + " dtype");
            assertEquals(info.shapeString(), t.shapeString(), t.name() + " shape");
            ByteBuffer want = expected.readRaw(info);
            ByteBuffer got = actual.read(t);
            assertEquals(want, got, t.name() + " bytes");
        }
    }
}
