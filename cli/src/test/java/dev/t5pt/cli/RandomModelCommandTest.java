package dev.t5pt.cli;

import dev.t5pt.io.RandomWeights;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.model.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** random-model: a loadable directory of RandomWeights' values, and nothing of the user's overwritten. */
class RandomModelCommandTest {
    @Test
    void writesALoadableModelAndNeverOverwrites(@TempDir Path tmp) throws Exception {
        Path config = Cli.fixture("tiny-v1_1").resolve("config.json");
        Path out = tmp.resolve("random");
        Path leftover = Files.createDirectories(tmp.resolve(".random.tmp-1"));   // what a kill mid-write leaves
        Files.writeString(leftover.resolve("model.safetensors"), "half");
        Cli c = Cli.run("random-model", "--shape", config.toString(), "--out", out.toString(), "--dtype", "f32", "--seed", "3");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("wrote " + out.toAbsolutePath().normalize()), c.out());
        assertTrue(c.err().contains("tensor 1 of "), c.err());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertEquals(new RandomWeights(3).get("lm_head.weight", f.info("lm_head.weight").shape()), f.read("lm_head.weight"));
        }
        assertEquals(48, T5Model.load(out).config().dModel());
        assertTrue(!Files.exists(leftover), "the killed write's pieces are cleared");

        byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
        Cli again = Cli.run("random-model", "--shape", config.toString(), "--out", out.toString(), "--seed", "4");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        assertEquals(java.util.Arrays.hashCode(before), java.util.Arrays.hashCode(Files.readAllBytes(out.resolve("model.safetensors"))));

        Cli bad = Cli.run("random-model", "--shape", "t5-huge", "--out", tmp.resolve("x").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("t5-xxl-lm-adapt"), bad.err());
        assertTrue(!Files.exists(tmp.resolve("x")));
    }
}
