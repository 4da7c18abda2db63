package dev.t5pt.convert;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real TensorFlow checkpoints (TF1 Saver, TF2 object-based with a Snappy index block, Mesh-TF T5) list
 * exactly as their EXPECTED.txt, written by an independent parser, records: every name, dtype, shape, shard,
 * offset, size and checksum, the verification status, and the first stored values.
 */
class TfCheckpointListingTest {
    static final Path ROOT = Path.of("src/test/resources/tf-checkpoint");

    static Path prefix(String fixture) throws IOException {
        try (var files = Files.list(ROOT.resolve(fixture))) {
            Path index = files.filter(p -> p.toString().endsWith(".index")).findFirst().orElseThrow();
            String n = index.getFileName().toString();
            return index.resolveSibling(n.substring(0, n.length() - ".index".length()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"serving-half-plus-two-tf2", "t2t-transformer-tiny", "t5x-mtf-tiny-t5-index-only"})
    void listingMatchesExpected(String fixture) throws IOException {
        Map<String, String[]> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve(fixture).resolve("EXPECTED.txt"))) {
            if (!line.startsWith("#") && !line.isBlank()) {
                String[] f = line.split("\t", -1);
                expected.put(f[0], f);
            }
        }
        List<String> lines = new ArrayList<>();
        try (TfCheckpoint ckpt = TfCheckpoint.open(prefix(fixture))) {
            Listing.list(ckpt, lines::add);
        }
        Map<String, String[]> actual = new LinkedHashMap<>();
        for (String line : lines) {
            if (!line.startsWith("#")) {
                String[] f = line.split("\t", -1);
                actual.put(f[0], f);
            }
        }
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "names in key order");
        for (String name : expected.keySet()) {
            String[] e = expected.get(name);
            String[] a = actual.get(name);
            // name dtype shape shard offset size crc_field crc_unmasked check first_values
            for (int col = 1; col <= 8; col++) {
                assertEquals(e[col], a[col], name + " column " + col);
            }
            assertEquals(e[8].startsWith("OK"), a[8].equals("OK"), name + " check: " + a[8]);
            if (e[9].startsWith("strings:")) {
                assertEquals(e[9], a[9], name + " string summary");
            }
            if (e[8].equals("OK") && e[9].startsWith("[")) {
                double[] want = numbers(e[9]);
                double[] got = numbers(a[9]);
                assertEquals(want.length, got.length, name + " first values");
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 0.0, name + " value " + i);
                }
            }
        }
        assertTrue(lines.get(lines.size() - 1).contains("0 failed"), lines.get(lines.size() - 1));
    }

    static double[] numbers(String list) {
        String body = list.substring(1, list.length() - 1).strip();
        if (body.isEmpty()) {
            return new double[0];
        }
        String[] parts = body.split(",\\s*");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Double.parseDouble(parts[i].split(" ")[0]);
        }
        return out;
    }
}
