package dev.t5pt.cli;

import dev.t5pt.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each bad input gives one clear error line naming the problem, no stack trace, a non-zero exit code. */
class BadInputTest {
    @TempDir
    Path tmp;

    Path copyModel() throws IOException {
        Path src = Cli.fixture("tiny-v1_0");
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        for (String f : new String[]{"config.json", "model.safetensors", "cases.safetensors"}) {
            Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    Cli dump(Path model, Path cases) {
        return Cli.run("dump", "--model", model.toString(), "--inputs", cases.toString(), "--out",
                tmp.resolve("out.safetensors").toString());
    }

    static void assertOneClearError(Cli r, String... mustMention) {
        assertNotEquals(0, r.code(), "exit code");
        // progress lines may precede it; exactly one line is the error
        java.util.List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        String err = errors.get(0);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        for (String m : mustMention) {
            assertTrue(err.contains(m), "message should mention '" + m + "': " + err);
        }
    }

    @Test
    void keepF32NameThatMatchesNothing() throws IOException {
        Path model = copyModel();
        Cli r = Cli.run("dump", "--model", model.toString(), "--inputs", model.resolve("cases.safetensors").toString(),
                "--out", tmp.resolve("out.safetensors").toString(), "--weights", "int8", "--keep-f32", "wo,w0");
        assertOneClearError(r, "w0", "model.safetensors", "wo");
        assertFalse(Files.exists(tmp.resolve("out.safetensors")), "nothing written");
    }

    @Test
    void benchDropoutOutsideItsRange() {
        Cli r = Cli.run("bench", "step", "--dropout", "1.5");
        assertNotEquals(0, r.code(), "exit code");
        assertTrue(r.err().contains("--dropout: expected a rate in [0, 1), found 1.5"), r.err());
    }

    @Test
    void benchWarmUpCapBelowItsMinimum() {
        Cli r = Cli.run("bench", "decode", "--warmup-seconds", "10", "--max-warmup-seconds", "5");
        assertNotEquals(0, r.code(), "exit code");
        assertTrue(r.err().contains("--max-warmup-seconds ≥ --warmup-seconds"), r.err());
    }

    @Test
    void truncatedWeights() throws IOException {
        Path dir = copyModel();
        Path w = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(w);
        Files.write(w, java.util.Arrays.copyOf(all, all.length - 1000));
        Cli r = dump(dir, dir.resolve("cases.safetensors"));
        assertOneClearError(r, "model.safetensors", "past the end");
        assertFalse(Files.exists(tmp.resolve("out.safetensors")), "no partial output");
    }

    @Test
    void fileShorterThanItsHeaderLength() throws IOException {
        Path dir = copyModel();
        Files.write(dir.resolve("model.safetensors"), new byte[]{1, 2, 3});
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "model.safetensors", "truncated");
    }

    @Test
    void headerOffsetsOverrunTheFile() throws IOException {
        Path dir = copyModel();
        String header = "{\"shared.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1000],\"data_offsets\":[16,4016]}}";
        writeRaw(dir.resolve("model.safetensors"), header, 16);
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "model.safetensors", "'x'", "past the end");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path dir = copyModel();
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
        writeRaw(dir.resolve("model.safetensors"), header, 24);
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "overlap");
    }

    @Test
    void shapeProductOverflows() throws IOException {
        Path dir = copyModel();
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,16]}}";
        writeRaw(dir.resolve("model.safetensors"), header, 16);
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "overflows");
    }

    @Test
    void hugeHeaderLength() throws IOException {
        Path dir = copyModel();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(200L << 20);
        Files.write(dir.resolve("model.safetensors"), b.array());
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "header length");
    }

    @Test
    void missingTensorNamesKeyShapeAndFile() throws IOException {
        Path dir = copyModel();
        new SafetensorsWriter().put("shared.weight", Nd4j.zeros(128, 32)).write(dir.resolve("model.safetensors"));
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "model.safetensors",
                "missing tensor 'encoder.block.0.layer.0.layer_norm.weight'", "[32]");
    }

    @Test
    void wrongShapeNamesKeyAndBothShapes() throws IOException {
        Path dir = copyModel();
        new SafetensorsWriter().put("shared.weight", Nd4j.zeros(128, 31)).write(dir.resolve("model.safetensors"));
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "'shared.weight'", "[128, 31]", "[128, 32]");
    }

    @Test
    void configWithZeroOrNegativeDimension() throws IOException {
        Path dir = copyModel();
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"d_model\": 32", "\"d_model\": -32");
        Files.writeString(dir.resolve("config.json"), cfg);
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "config.json", "d_model", "-32");
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"d_model\": -32", "\"d_model\": 32")
                .replace("\"num_heads\": 4", "\"num_heads\": 0"));
        assertOneClearError(dump(dir, dir.resolve("cases.safetensors")), "num_heads", "0");
    }

    @Test
    void inputIdOutsideVocabulary() throws IOException {
        Path dir = copyModel();
        long[][] ids = {{5, 300, 1}};
        new SafetensorsWriter()
                .put("c/input_ids", Nd4j.createFromArray(ids))
                .put("c/attention_mask", Nd4j.createFromArray(new long[][]{{1, 1, 1}}))
                .put("c/labels", Nd4j.createFromArray(new long[][]{{4, 1}}))
                .write(tmp.resolve("bad.safetensors"));
        assertOneClearError(dump(dir, tmp.resolve("bad.safetensors")), "input_ids[0][1] = 300", "[0, 128)");
    }

    @Test
    void missingModelDirectory() {
        assertOneClearError(dump(tmp.resolve("nope"), tmp.resolve("nope.safetensors")), "config.json");
    }

    @Test
    void helloThereCheckRefusesAModelWithoutT5sVocabulary() throws IOException {
        assertOneClearError(Cli.run("check-hf", "--model", copyModel().toString()), "32k vocabulary", "t5-small");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Cli r = Cli.run("dump", "--frobnicate");
        assertEquals(2, r.code());
    }

    private static void writeRaw(Path file, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
    }
}
