package dev.t5pt.convert;

import dev.t5pt.io.DType;
import dev.t5pt.io.HalfFloats;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.io.WeightStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** pytorch_model.bin → model directory, bit for bit; views over shared storages; re-sharding and re-casting. */
class TorchConvertTest {

    static final List<String> MODELS = Fixtures.MODELS;

    @ParameterizedTest
    @FieldSource("MODELS")
    void fixtureBinConvertsBitIdentical(String model, @TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        List<String> progress = new ArrayList<>();
        ConvertReport r = Converter.convert(new Converter.Options(Fixtures.resource("torch/" + model), out, null,
                Converter.DEFAULT_MAX_SHARD_BYTES, null), progress::add);
        assertEquals("pytorch", r.format());
        assertEquals(List.of(WeightStore.SINGLE), r.shards());
        try (SafetensorsFile want = SafetensorsFile.open(Fixtures.model(model).resolve("model.safetensors"));
             Checkpoint got = SafetensorsCheckpoint.open(out)) {
            Fixtures.assertSameTensors(want, got);
            assertEquals(want.tensors().size(), r.written());
        }
        assertEquals(dev.t5pt.config.T5Config.load(Fixtures.model(model).resolve("config.json")),
                dev.t5pt.config.T5Config.load(out.resolve("config.json")));
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("[1/")), "progress per tensor");
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "only the output directory is left");
        }
    }

    @Test
    void viewsSharedStoragesOffsetsStridesAndHalfTypes() throws IOException {
        try (TorchCheckpoint ck = TorchCheckpoint.open(Fixtures.resource("torch-views/views/pytorch_model.bin"));
             SafetensorsFile want = SafetensorsFile.open(Fixtures.resource("torch-views/views/expected.safetensors"))) {
            SourceTensor shared = null;
            SourceTensor alias = null;
            for (SourceTensor t : ck.tensors()) {
                ByteBuffer b = ck.read(t);
                if (t.name().equals("shared.weight")) {
                    shared = t;
                }
                if (t.name().equals("encoder.embed_tokens.weight")) {
                    alias = t;
                    continue;
                }
                var info = want.info(t.name());
                assertEquals(info.shapeString(), t.shapeString(), t.name());
                ByteBuffer f32 = want.readRaw(info);
                for (int i = 0; i < t.numElements(); i++) {
                    assertEquals(f32.getFloat(4 * i), (float) Elements.floating(b, t.dtype(), i), 0f, t.name() + "[" + i + "]");
                }
            }
            assertEquals(shared.aliasKey(), alias.aliasKey(), "one storage under two names");
            assertEquals(DType.F16, ck.tensors().stream().filter(t -> t.name().equals("half")).findFirst().orElseThrow().dtype());
            assertEquals(DType.BF16, ck.tensors().stream().filter(t -> t.name().equals("bfloat")).findFirst().orElseThrow().dtype());
        }
    }

    @Test
    void shardedBinWithIndex(@TempDir Path tmp) throws IOException {
        byte[] four = new byte[16];
        ByteBuffer.wrap(four).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).putFloat(3f).putFloat(0.25f);
        TorchFiles.zip(tmp.resolve("pytorch_model-00001-of-00002.bin"),
                TorchFiles.stateDict("a", 4, 0, new long[]{2, 2}, new long[]{2, 1}), java.util.Map.of("0", four), false);
        TorchFiles.zip(tmp.resolve("pytorch_model-00002-of-00002.bin"),
                TorchFiles.stateDict("b", 4, 1, new long[]{3}, new long[]{1}), java.util.Map.of("0", four), false);
        Files.writeString(tmp.resolve(TorchCheckpoint.INDEX), "{\"metadata\": {}, \"weight_map\": {"
                + "\"a\": \"pytorch_model-00001-of-00002.bin\", \"b\": \"pytorch_model-00002-of-00002.bin\"}}");
        List<String> lines = new ArrayList<>();
        try (Checkpoint ck = Checkpoints.open(tmp)) {
            assertEquals("pytorch", ck.format());
            Listing.list(ck, lines::add);
        }
        assertTrue(lines.contains("a\ttorch.FloatStorage\t[2, 2]\t0\t0\t[2, 1]\tOK\t[1.5, -2.0, 3.0, 0.25]"), lines.toString());
        assertTrue(lines.contains("b\ttorch.FloatStorage\t[3]\t0\t1\t[1]\tOK\t[-2.0, 3.0, 0.25]"), lines.toString());
    }

    @Test
    void reshardsAndRecasts(@TempDir Path tmp) throws IOException {
        Path model = Fixtures.model("tiny-v1_1");
        Path sharded = tmp.resolve("sharded");
        ConvertReport r = Converter.convert(new Converter.Options(model, sharded, null, 100_000, null), s -> { });
        assertTrue(r.shards().size() > 3, "shards: " + r.shards());
        assertTrue(Files.exists(sharded.resolve(WeightStore.INDEX)));
        try (SafetensorsFile want = SafetensorsFile.open(model.resolve("model.safetensors"));
             Checkpoint got = SafetensorsCheckpoint.open(sharded)) {
            Fixtures.assertSameTensors(want, got);
        }
        Path bf16 = tmp.resolve("bf16");
        Converter.convert(new Converter.Options(sharded, bf16, DType.BF16, Converter.DEFAULT_MAX_SHARD_BYTES, null), s -> { });
        try (SafetensorsFile want = SafetensorsFile.open(model.resolve("model.safetensors"));
             SafetensorsCheckpoint got = SafetensorsCheckpoint.open(bf16)) {
            for (SourceTensor t : got.tensors()) {
                assertEquals(DType.BF16, t.dtype());
                ByteBuffer w = want.readRaw(want.info(t.name()));
                ByteBuffer g = got.read(t);
                for (int i = 0; i < t.numElements(); i++) {
                    assertEquals(HalfFloats.floatToBf16(w.getFloat(4 * i)), g.getShort(2 * i), t.name() + "[" + i + "]");
                }
            }
        }
    }
}
