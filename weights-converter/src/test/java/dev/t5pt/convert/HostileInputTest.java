package dev.t5pt.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken and hostile inputs: each fails with one message naming the file and the problem, nothing runs, and
 * no output (not even a temporary directory) is left behind.
 */
class HostileInputTest {
    @TempDir
    Path tmp;

    /** Converts {@code from} into tmp/out, expecting a failure whose message contains {@code expected}. */
    String refuse(Path from, String expected) throws IOException {
        return refuse(from, expected, Fixtures.model("tiny-v1_0").resolve("config.json"));
    }

    String refuse(Path from, String expected, Path config) throws IOException {
        Path out = tmp.resolve("out");
        IOException e = assertThrows(IOException.class, () -> Converter.convert(
                new Converter.Options(from, out, null, Converter.DEFAULT_MAX_SHARD_BYTES, config), s -> { }));
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
        assertFalse(Files.exists(out), "no output");
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".out")), "no temporary directory left");
        }
        return e.getMessage();
    }

    Path bin(byte[] pickle, Map<String, byte[]> storages, boolean deflate) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Path f = dir.resolve("pytorch_model.bin");
        TorchFiles.zip(f, pickle, storages, deflate);
        return f;
    }

    @ParameterizedTest
    @CsvSource({"posix,system", "os,system", "builtins,eval", "subprocess,Popen", "builtins,__import__"})
    void pickleGlobalsOutsideTheAllowlistAreRefused(String module, String name) throws IOException {
        Path f = bin(TorchFiles.call(module, name), Map.of(), false);
        String m = refuse(f, "refused global '" + module + "." + name + "'");
        assertTrue(m.contains(f.toString()), m);
        assertFalse(Files.exists(Path.of("/tmp/t5pt-pwned")));
    }

    @Test
    void legacyFormatAsksForAResave() throws IOException {
        refuse(Fixtures.resource("torch-views/legacy/pytorch_model.bin"), "legacy (pre-1.6) format");
    }

    @Test
    void truncatedBin() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.resource("torch/tiny-v1_0/pytorch_model.bin"));
        Path f = Files.createDirectories(tmp.resolve("in")).resolve("pytorch_model.bin");
        Files.write(f, java.util.Arrays.copyOf(whole, whole.length / 2));
        refuse(f, "pytorch_model.bin");
    }

    @Test
    void viewPastItsStorage() throws IOException {
        byte[] pkl = TorchFiles.stateDict("w", 4, 2, new long[]{2, 2}, new long[]{2, 1});
        refuse(bin(pkl, Map.of("0", new byte[16]), false), "reaches element 5 of a storage with 4");
    }

    @Test
    void shapeProductOverflows() throws IOException {
        byte[] pkl = TorchFiles.stateDict("w", 4, 0, new long[]{1L << 31, 1L << 31, 1L << 31}, new long[]{0, 0, 0});
        refuse(bin(pkl, Map.of("0", new byte[16]), false), "overflows");
    }

    @Test
    void storageLargerThanDeclared() throws IOException {
        byte[] pkl = TorchFiles.stateDict("w", 4, 0, new long[]{4}, new long[]{1});
        refuse(bin(pkl, Map.of("0", new byte[20]), false), "should hold 4 FloatStorage elements (16 bytes)");
    }

    @Test
    void zipBomb() throws IOException {
        long numel = 50L << 20; // 200 MB of zeros, deflated to ~200 KB
        byte[] pkl = TorchFiles.stateDict("w", numel, 0, new long[]{numel}, new long[]{1});
        Path f = bin(pkl, Map.of("0", new byte[(int) (4 * numel)]), true);
        assertTrue(Files.size(f) < 1 << 20, "the bomb is small on disk");
        refuse(f, "zip bomb");
    }

    @Test
    void safetensorsOffsetsPastTheEndOrOverlapping() throws IOException {
        refuse(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "w");
        refuse(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24), "overlap");
        refuse(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", 16), "w");
    }

    @Test
    void hundredMegabyteHeader() throws IOException {
        Path f = Files.createDirectories(tmp.resolve("in")).resolve("model.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100L << 20 | 8).putLong(0);
        Files.write(f, b.array());
        refuse(f, "header");
    }

    Path safetensors(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = Files.createDirectories(tmp.resolve("in")).resolve("model.safetensors");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"shared.weight\": \"model-00001-of-00002.safetensors\"}}");
        refuse(dir, "model-00001-of-00002.safetensors");
        Path tdir = Files.createDirectories(tmp.resolve("tin"));
        Files.writeString(tdir.resolve("pytorch_model.bin.index.json"),
                "{\"weight_map\": {\"shared.weight\": \"pytorch_model-00001-of-00002.bin\"}}");
        refuse(tdir, "pytorch_model-00001-of-00002.bin: missing");
        // the genuine Mesh-TF index whose weights shard was not published
        refuse(TfCheckpointListingTest.prefix("t5x-mtf-tiny-t5-index-only"), "model.ckpt-0.data-00001-of-00002: missing", null);
    }

    @Test
    void tensorflowChecksumMismatchInDataAndIndex() throws IOException {
        Path src = TfCheckpointListingTest.ROOT.resolve("t2t-transformer-tiny");
        Path dir = Files.createDirectories(tmp.resolve("in"));
        for (String f : List.of("model.ckpt-1.index", "model.ckpt-1.data-00000-of-00002", "model.ckpt-1.data-00001-of-00002")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Path shard = dir.resolve("model.ckpt-1.data-00001-of-00002");
        byte[] data = Files.readAllBytes(shard);
        data[100] ^= 1;
        Files.write(shard, data);
        try (TfCheckpoint ck = TfCheckpoint.open(dir.resolve("model.ckpt-1"))) {
            List<String> lines = new java.util.ArrayList<>();
            IOException e = assertThrows(IOException.class, () -> Listing.list(ck, lines::add));
            assertTrue(e.getMessage().contains("failed verification"), e.getMessage());
            assertEquals(1, lines.stream().filter(l -> l.contains("fails its checksum")).count());
        }
        Path index = dir.resolve("model.ckpt-1.index");
        byte[] idx = Files.readAllBytes(index);
        idx[200] ^= 1;
        Files.write(index, idx);
        refuse(dir.resolve("model.ckpt-1"), "fails its checksum");
    }

    @Test
    void truncatedTensorflowIndexAndNotAT5() throws IOException {
        Path src = TfCheckpointListingTest.ROOT.resolve("t2t-transformer-tiny");
        Path dir = Files.createDirectories(tmp.resolve("in"));
        byte[] idx = Files.readAllBytes(src.resolve("model.ckpt-1.index"));
        Files.write(dir.resolve("model.ckpt-1.index"), java.util.Arrays.copyOf(idx, idx.length - 30));
        refuse(dir.resolve("model.ckpt-1"), "table magic");
        // a complete, valid checkpoint of another model: nothing maps to T5
        String m = refuse(src.resolve("model.ckpt-1"), "missing");
        assertTrue(m.contains("not a T5 checkpoint"), m);
    }

    @Test
    void tensorflowShardShorterThanItsIndexSays() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Path prefix = dir.resolve("model.ckpt-7");
        MeshTfRoundTripTest.writeMeshTf(Fixtures.model("tiny-v1_0"), prefix, false);
        Path shard = dir.resolve("model.ckpt-7.data-00000-of-00001");
        byte[] data = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(data, data.length / 2)); // the tail holds skipped slots: cut into weights
        refuse(prefix, "(truncated?)");
    }
}
