package dev.t5pt.convert;

import dev.t5pt.config.T5Config;
import dev.t5pt.config.T5Keys;
import dev.t5pt.io.HalfFloats;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.io.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fixture model written as a Mesh-TensorFlow T5 checkpoint under Google's names and layouts ([in, out]
 * kernels, [heads, buckets] biases, rms_norm scales, decoder/logits, Adafactor slots, global_step) by the
 * test's own writer converts back to exactly the fixture's HF tensors, with the config read off the shapes
 * and the gin file.
 */
class MeshTfRoundTripTest {
    static final List<String> MODELS = Fixtures.MODELS;

    /** HF name → Mesh-TF name (the inverse of the mapping under test, written out independently). */
    static String meshName(String hf) {
        if (hf.equals("shared.weight")) {
            return "shared/embedding";
        }
        if (hf.equals("lm_head.weight")) {
            return "decoder/logits/kernel";
        }
        if (hf.endsWith("final_layer_norm.weight")) {
            return hf.substring(0, hf.indexOf('.')) + "/rms_norm/scale";
        }
        String[] p = hf.split("\\.");
        // encoder.block.0.layer.1.DenseReluDense.wi_0.weight
        String base = String.format("%s/block_%03d/layer_%03d/", p[0], Integer.parseInt(p[2]), Integer.parseInt(p[4]));
        if (p[5].equals("layer_norm")) {
            return base + "rms_norm/scale";
        }
        if (p[5].equals("DenseReluDense")) {
            return base + "DenseReluDense/" + p[6] + "/kernel";
        }
        return base + p[5] + "/" + p[6];
    }

    static void writeMeshTf(Path model, Path prefix, boolean bf16) throws IOException {
        TfWriter w = new TfWriter();
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            for (TensorInfo t : f.tensors().values()) {
                ByteBuffer b = f.readRaw(t);
                long[] shape = t.shape();
                String mesh = meshName(t.name());
                if (shape.length == 2 && !mesh.equals("shared/embedding")) {
                    b = Elements.transpose(b, shape[0], shape[1], 4);
                    shape = new long[]{shape[1], shape[0]};
                }
                byte[] data = new byte[b.remaining()];
                b.duplicate().get(data);
                if (bf16) {
                    ByteBuffer h = ByteBuffer.allocate(data.length / 2).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < data.length / 4; i++) {
                        h.putShort(HalfFloats.floatToBf16(b.getFloat(4 * i)));
                    }
                    data = h.array();
                }
                w.add(mesh, bf16 ? 14 : 1, shape, data);
                w.add(mesh + "_slot_v", 1, shape, new byte[(int) (4 * t.numElements())]);
            }
        }
        w.add("global_step", 9, new long[0], new byte[8]);
        w.write(prefix);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void meshTfCheckpointConvertsToTheFixture(String model, @TempDir Path tmp) throws IOException {
        Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
        writeMeshTf(Fixtures.model(model), ckpt.resolve("model.ckpt-1000"), false);
        T5Config want = T5Config.load(Fixtures.model(model).resolve("config.json"));
        Files.writeString(ckpt.resolve(GinConfig.FILE), String.join("\n",
                "# Macros:", "d_ff = " + want.dFf(), "d_kv = " + want.dKv(), "d_model = " + want.dModel(),
                "dropout_rate = " + want.dropoutRate(), "num_heads = " + want.numHeads(), "num_layers = " + want.numLayers(),
                "DenseReluDense.activation = " + (want.feedForwardProj().hfName().equals("relu") ? "'relu'" : "['gelu', 'linear']"),
                "encoder/make_layer_stack.num_layers = %num_layers",
                // Mesh-TF hard-codes 128; the fixtures use other values, which t5pt reads from this binding
                "SelfAttention.relative_attention_max_distance = " + want.relativeAttentionMaxDistance(), ""));
        Path out = tmp.resolve("out");
        ConvertReport r = Converter.convert(new Converter.Options(ckpt.resolve("model.ckpt-1000"), out, null,
                Converter.DEFAULT_MAX_SHARD_BYTES, null), s -> { });
        assertEquals(want, T5Config.load(out.resolve("config.json")), "config from shapes + gin");
        try (SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(model).resolve("model.safetensors"));
             Checkpoint got = SafetensorsCheckpoint.open(out)) {
            Fixtures.assertSameTensors(expected, got);
        }
        long slots = r.skipped().stream().filter(s -> s.reason().equals("optimizer slot")).count();
        assertEquals(r.written(), slots);
        assertTrue(r.skipped().stream().anyMatch(s -> s.name().equals("global_step")));
    }

    @Test
    void bfloat16CheckpointKeepsItsBits(@TempDir Path tmp) throws IOException {
        Path prefix = tmp.resolve("model.ckpt-5");
        writeMeshTf(Fixtures.model("tiny-v1_1"), prefix, true);
        Path out = tmp.resolve("out");
        Converter.convert(new Converter.Options(prefix.resolveSibling("model.ckpt-5.index"), out, null,
                Converter.DEFAULT_MAX_SHARD_BYTES, Fixtures.model("tiny-v1_1").resolve("config.json")), s -> { });
        try (SafetensorsFile f32 = SafetensorsFile.open(Fixtures.model("tiny-v1_1").resolve("model.safetensors"));
             SafetensorsCheckpoint got = SafetensorsCheckpoint.open(out)) {
            for (SourceTensor t : got.tensors()) {
                assertEquals(dev.t5pt.io.DType.BF16, t.dtype(), t.name());
                ByteBuffer w = f32.readRaw(f32.info(t.name()));
                ByteBuffer g = got.read(t);
                for (int i = 0; i < t.numElements(); i++) {
                    assertEquals(HalfFloats.floatToBf16(w.getFloat(4 * i)), g.getShort(2 * i), t.name());
                }
            }
        }
    }

    @Test
    void mapsTheGenuineMeshTfNamesOfTheT5xFixture() throws IOException {
        try (TfCheckpoint ck = TfCheckpoint.open(TfCheckpointListingTest.prefix("t5x-mtf-tiny-t5-index-only"))) {
            java.util.Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
            int slots = 0;
            for (SourceTensor t : ck.tensors()) {
                MeshTfNames.Mapping m = MeshTfNames.map(t.name());
                if (m.skipReason() != null) {
                    slots += m.skipReason().equals("optimizer slot") ? 1 : 0;
                    continue;
                }
                long[] s = t.shape();
                shapes.put(m.hfName(), m.transpose() ? new long[]{s[1], s[0]} : s);
            }
            assertEquals(52, shapes.size(), "every trainable variable maps");
            assertEquals(52, slots);
            T5Config c = ConfigInference.infer(shapes, null, "t5x");
            assertEquals(32, c.dModel());
            assertEquals(2, c.numHeads());
            assertEquals(64, c.dKv());
            assertEquals(64, c.dFf());
            assertEquals(32128, c.vocabSize());
            assertEquals(2, c.numLayers());
            assertEquals(2, c.numDecoderLayers());
            assertEquals(false, c.tieWordEmbeddings());
            var expected = T5Keys.expected(c);
            assertEquals(expected.keySet(), shapes.keySet());
            expected.forEach((k, v) -> assertEquals(java.util.Arrays.toString(v), java.util.Arrays.toString(shapes.get(k)), k));
        }
    }
}
