package dev.t5pt.cli;

import dev.t5pt.cli.check.Comparison;
import dev.t5pt.io.SafetensorsFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./t5pt dump reproduces every fixture tensor the forward pass computes, at the fixtures' tolerances. */
class DumpCommandTest {
    /** Fixture tensors that are inputs. */
    static final Set<String> NOT_COMPUTED = Set.of("input_ids", "attention_mask", "labels", "prompt");

    @ParameterizedTest
    @ValueSource(strings = {"tiny-v1_0", "tiny-v1_1", "tiny-lm-adapt-prompt"})
    void dumpReproducesFixture(String model, @TempDir Path tmp) throws Exception {
        assertDumpReproduces(Cli.fixture(model), Cli.fixture(model), tmp);
    }

    /** {@code ./t5pt dump} of {@code modelDir} on the fixture's cases reproduces every computed fixture tensor. */
    static void assertDumpReproduces(Path modelDir, Path fixture, Path tmp) throws Exception {
        Path dir = fixture;
        Path out = tmp.resolve("out.safetensors");
        Cli r = Cli.run("dump", "--model", modelDir.toString(), "--inputs", dir.resolve("cases.safetensors").toString(),
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile expected = SafetensorsFile.open(dir.resolve("cases.safetensors"));
             SafetensorsFile actual = SafetensorsFile.open(out)) {
            int compared = 0;
            for (String key : expected.tensors().keySet()) {
                String name = key.substring(key.indexOf('/') + 1);
                if (NOT_COMPUTED.contains(name)) {
                    continue;
                }
                assertTrue(actual.contains(key), "dump lacks " + key);
                assertEquals(expected.info(key).dtype(), actual.info(key).dtype(), key + " dtype");
                Map<String, INDArray> a = new HashMap<>();
                Map<String, INDArray> e = new HashMap<>();
                a.put(name, actual.read(key));
                e.put(name, expected.read(key));
                List<Comparison.Row> rows = Comparison.compare(a, e);
                assertEquals(1, rows.size());
                assertTrue(rows.get(0).passed(), key + ": " + rows.get(0));
                assertTrue(java.util.Arrays.equals(expected.info(key).shape(), actual.info(key).shape()), key + " shape");
                compared++;
            }
            assertTrue(compared >= 2 * 20, "compared " + compared);
        }
    }
}
