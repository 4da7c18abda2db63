package dev.t5pt.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void writesAndReadsF32I64F16Bf16() throws IOException {
        INDArray f = Nd4j.createFromArray(new float[][]{{1.5f, -2.25f, 3e-5f}, {65504f, 0f, -0f}});
        INDArray l = Nd4j.createFromArray(new long[]{-100, 0, 1L << 40});
        Path p = tmp.resolve("t.safetensors");
        new SafetensorsWriter().put("f", f).put("l", l).put("h", f, DType.F16).put("b", f, DType.BF16)
                .metadata("format", "pt").write(p);
        long dataBytes = 2 * 3 * 4 + 3 * 8 + 2 * 6 * 2;
        assertEquals(0, (Files.size(p) - 8 - dataBytes) % 8, "header padded to a multiple of 8");
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            assertEquals("pt", r.metadata().get("format"));
            assertEquals(f, r.read("f"));
            assertEquals(l, r.read("l"));
            assertEquals(DType.F16, r.info("h").dtype());
            // every value here is exact in half precision except 3e-5 (a subnormal in F16)
            INDArray h = r.read("h");
            assertEquals(DataType.FLOAT, h.dataType());
            assertEquals(65504f, h.getFloat(1, 0));
            assertEquals(3e-5f, h.getFloat(0, 2), 3e-8);
            INDArray b = r.read("b");
            assertEquals(1.5f, b.getFloat(0, 0));
            assertEquals(3e-5f, b.getFloat(0, 2), 3e-7);
        }
    }

    @Test
    void halfFloatConversionsRoundToNearestEven() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float v = HalfFloats.f16ToFloat((short) bits);
            if (!Float.isNaN(v)) {
                assertEquals((short) bits, HalfFloats.floatToF16(v), "f16 " + Integer.toHexString(bits));
            }
            float w = HalfFloats.bf16ToFloat((short) bits);
            if (!Float.isNaN(w)) {
                assertEquals((short) bits, HalfFloats.floatToBf16(w), "bf16 " + Integer.toHexString(bits));
            }
        }
        assertEquals(HalfFloats.floatToBf16(1f), HalfFloats.floatToBf16(1f + 0x1p-8f)); // tie to even: down
        assertEquals(HalfFloats.floatToBf16(1f + 0x1p-6f), HalfFloats.floatToBf16(1f + 0x1p-7f + 0x1p-8f)); // tie: up to even
    }

    @Test
    void shardedStoreResolvesAliasesAndIgnoresStrayKeys() throws IOException {
        Path dir = tmp.resolve("m");
        Files.createDirectories(dir);
        new SafetensorsWriter().put("encoder.embed_tokens.weight", Nd4j.ones(4, 2))
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().put("decoder.final_layer_norm.weight", Nd4j.ones(2))
                .put("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight", Nd4j.ones(32, 2))
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve(WeightStore.INDEX), "{\"metadata\": {}, \"weight_map\": {"
                + "\"encoder.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
                + "\"decoder.final_layer_norm.weight\": \"model-00002-of-00002.safetensors\","
                + "\"decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight\": \"model-00002-of-00002.safetensors\"}}");
        try (WeightStore s = WeightStore.open(dir)) {
            assertArrayEquals(new long[]{4, 2}, s.get("shared.weight", 4, 2).shape());
            s.get("decoder.final_layer_norm.weight", 2);
            assertTrue(s.unusedKeys().isEmpty(), s.unusedKeys().toString());
            var e = assertThrows(IOException.class, () -> s.get("decoder.final_layer_norm.weight", 3));
            assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors") && e.getMessage().contains("[3]"),
                    e.getMessage());
        }
    }

    @Test
    void indexNamingAMissingShardIsAClearError() throws IOException {
        Path dir = tmp.resolve("m2");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(WeightStore.INDEX),
                "{\"weight_map\": {\"shared.weight\": \"model-00001-of-00002.safetensors\"}}");
        var e = assertThrows(IOException.class, () -> WeightStore.open(dir));
        assertTrue(e.getMessage().contains("model-00001-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void failedWriteLeavesNoFile() {
        Path p = tmp.resolve("never.safetensors");
        INDArray bad = Nd4j.zeros(2);
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().put("x", bad, DType.I64));
        assertFalse(Files.exists(p));
    }
}
