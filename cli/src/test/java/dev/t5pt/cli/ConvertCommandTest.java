package dev.t5pt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./t5pt convert: a fixture's pytorch_model.bin becomes a directory that reproduces the fixture's outputs. */
class ConvertCommandTest {
    static final Path CONVERTER_DATA = Path.of(System.getProperty("t5pt.converterData",
            "../weights-converter/src/test/resources"));

    @ParameterizedTest
    @ValueSource(strings = {"tiny-v1_0", "tiny-v1_1", "tiny-lm-adapt-prompt"})
    void convertedBinReproducesTheFixture(String model, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("model");
        Cli r = Cli.run("convert", "--from", CONVERTER_DATA.resolve("torch").resolve(model).resolve("pytorch_model.bin").toString(),
                "--out", out.toString(), "--max-shard-size", "200KB");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tensors written"), r.out());
        assertTrue(r.err().contains("[1/"), "progress on stderr");
        DumpCommandTest.assertDumpReproduces(out, Cli.fixture(model), tmp);
    }

    @Test
    void listsAnyCheckpoint() {
        Cli r = Cli.run("convert", "--list", CONVERTER_DATA.resolve("tf-checkpoint/t2t-transformer-tiny/model.ckpt-1").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("global_step\tDT_INT64\t[]\t0\t0\t8\t41de7501\tc514cfad\tOK\t[1]"), r.out());
        assertTrue(r.out().contains("# verified 250 of 250 tensors"), r.out());
        Cli bin = Cli.run("convert", "--list", CONVERTER_DATA.resolve("torch/tiny-v1_0").toString());
        assertEquals(0, bin.code(), bin.err());
        assertTrue(bin.out().contains("shared.weight\ttorch.FloatStorage\t[128, 32]"), bin.out());
    }

    @Test
    void hostileInputFailsWithOneLine(@TempDir Path tmp) throws Exception {
        Path bin = CONVERTER_DATA.resolve("torch-views/legacy/pytorch_model.bin");
        Path out = tmp.resolve("out");
        Cli r = Cli.run("convert", "--from", bin.toString(), "--out", out.toString(), "--config",
                Cli.fixture("tiny-v1_0").resolve("config.json").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + bin), r.err());
        assertTrue(r.err().contains("re-save it with a newer torch"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out));
        Cli usage = Cli.run("convert", "--from", bin.toString());
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("needs --out"), usage.err());
    }
}
