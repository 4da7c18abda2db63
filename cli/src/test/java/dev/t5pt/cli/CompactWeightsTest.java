package dev.t5pt.cli;

import dev.t5pt.io.SafetensorsFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compact weights on the fixtures: a model converted with {@code convert --dtype bf16} dumps the same bits held
 * as bfloat16 (memory-mapped) and as float32 (upcast at load); int8 logits stay within 5e-2 (max-abs relative)
 * of float32.
 */
class CompactWeightsTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-v1_0", "tiny-v1_1", "tiny-lm-adapt-prompt"})
    void bf16HeldGivesTheBitsOfItsF32Upcast(String model, @TempDir Path tmp) throws Exception {
        Path fixture = Cli.fixture(model);
        Path bf16 = tmp.resolve("bf16");
        Cli c = Cli.run("convert", "--from", fixture.toString(), "--out", bf16.toString(), "--dtype", "bf16");
        assertEquals(0, c.code(), c.err());
        Path asBf16 = dump(bf16, fixture, "bf16", tmp);
        Path asF32 = dump(bf16, fixture, "f32", tmp);
        Path asStored = dump(bf16, fixture, null, tmp);
        try (SafetensorsFile a = SafetensorsFile.open(asBf16); SafetensorsFile b = SafetensorsFile.open(asF32);
             SafetensorsFile s = SafetensorsFile.open(asStored)) {
            assertEquals(b.tensors().keySet(), a.tensors().keySet());
            for (String key : a.tensors().keySet()) {
                assertArrayEquals(bytes(b, key), bytes(a, key), key + ": bf16-held vs its f32 upcast");
                assertArrayEquals(bytes(a, key), bytes(s, key), key + ": as stored (bf16) vs bf16");
            }
        }
    }

    /**
     * int8 (the defaults: embedding kept in f32, 5 exact values per row in the blocks' matrices, none in the head)
     * against f32: within 5e-2 max-abs relative on every fixture (1.0% / 3.5% / 2.2%), and within 4× what
     * bfloat16's rounding does (tiny-v1_1: 3.5% against 1.5%). Plain per-row int8 (no exact values) missed 5e-2
     * on tiny-v1_1 (5.7%, SPEED_LOG.md, eighteenth session).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-v1_0", "tiny-v1_1", "tiny-lm-adapt-prompt"})
    void int8LogitsStayClose(String model, @TempDir Path tmp) throws Exception {
        Path fixture = Cli.fixture(model);
        double int8 = worstLogitError(dump(fixture, fixture, "int8", tmp), dump(fixture, fixture, "f32", tmp));
        double bf16 = worstLogitError(dump(fixture, fixture, "bf16", tmp), dump(fixture, fixture, "f32", tmp));
        assertTrue(int8 <= 4 * bf16, model + ": int8 logits off by " + int8 + ", bf16 by " + bf16);
        assertTrue(int8 <= 5e-2, model + ": int8 logits off by " + int8 + " (max-abs relative)");
    }

    /** The largest max-abs relative error of any case's logits. */
    private static double worstLogitError(Path actual, Path expected) throws Exception {
        double worst = 0;
        int compared = 0;
        try (SafetensorsFile q = SafetensorsFile.open(actual); SafetensorsFile f = SafetensorsFile.open(expected)) {
            for (String key : f.tensors().keySet()) {
                if (key.endsWith("/logits")) {
                    INDArray ref = f.read(key);
                    worst = Math.max(worst, q.read(key).sub(ref).amaxNumber().doubleValue() / ref.amaxNumber().doubleValue());
                    compared++;
                }
            }
        }
        assertTrue(compared > 0);
        return worst;
    }

    private static Path dump(Path modelDir, Path fixture, String weights, Path tmp) throws Exception {
        Path out = Files.createTempFile(tmp, "dump-" + weights, ".safetensors");
        Cli r = weights == null
                ? Cli.run("dump", "--model", modelDir.toString(), "--inputs", fixture.resolve("cases.safetensors").toString(),
                "--out", out.toString())
                : Cli.run("dump", "--model", modelDir.toString(), "--inputs", fixture.resolve("cases.safetensors").toString(),
                "--out", out.toString(), "--weights", weights);
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(out));
        return out;
    }

    private static byte[] bytes(SafetensorsFile f, String key) throws Exception {
        var buf = f.readRaw(f.info(key));
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        return b;
    }
}
