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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptFilesTest {
    @TempDir
    Path tmp;

    INDArray prompt() {
        Nd4j.getRandom().setSeed(5);
        return Nd4j.randn(DataType.FLOAT, 7, 48);
    }

    @Test
    void peftRoundTripWritesTheSeq2SeqLayout() throws IOException {
        INDArray p = prompt();
        PromptFiles.writePeft(tmp.resolve("a"), p, "base", 2, 4, "labels");
        try (var f = dev.t5pt.io.SafetensorsFile.open(tmp.resolve("a/adapter_model.safetensors"))) {
            assertArrayEquals(new long[]{14, 48}, f.info("prompt_embeddings").shape(), "PEFT stores [2N, d] for seq2seq");
        }
        assertTrue(Files.readString(tmp.resolve("a/adapter_config.json")).contains("\"num_virtual_tokens\" : 7"));
        assertEquals(p, PromptFiles.read(tmp.resolve("a"), 48));
    }

    @Test
    void npyRoundTripAndBareSafetensors() throws IOException {
        INDArray p = prompt();
        Npy.write(tmp.resolve("p.npy"), p);
        assertEquals(p, PromptFiles.read(tmp.resolve("p.npy"), 48));
        new SafetensorsWriter().put("prompt_embeddings", p).write(tmp.resolve("p.safetensors"));
        assertEquals(p, PromptFiles.read(tmp.resolve("p.safetensors"), 48));
    }

    @Test
    void googlesReleasedPromptsLoadWithoutConversion() throws Exception {
        Path dir = Path.of(PromptFilesTest.class.getResource("/prompts/sst2.npy").toURI()).getParent();
        INDArray sst2 = PromptFiles.read(dir.resolve("sst2.npy"), 768);
        assertArrayEquals(new long[]{100, 768}, sst2.shape());
        // SOURCE.txt: row0[:4] = [-18.422283172607422, -37.885894775390625, 27.895790100097656, 12.426412582397461]
        assertEquals(-18.422283172607422, sst2.getDouble(0, 0), 0);
        assertEquals(12.426412582397461, sst2.getDouble(0, 3), 0);
        assertEquals(0.360521, sst2.meanNumber().doubleValue(), 1e-5);
        assertEquals(-30.35808753967285, PromptFiles.read(dir.resolve("mrpc.npy"), 768).getDouble(0, 0), 0);
        assertEquals(-16.020851135253906, PromptFiles.read(dir.resolve("rte.npy"), 768).getDouble(0, 0), 0);
    }

    @Test
    void wrongWidthAndBadFilesAreClearErrors() throws IOException {
        Npy.write(tmp.resolve("p.npy"), prompt());
        var e = assertThrows(IOException.class, () -> PromptFiles.read(tmp.resolve("p.npy"), 512));
        assertTrue(e.getMessage().contains("p.npy") && e.getMessage().contains("48") && e.getMessage().contains("512"), e.getMessage());
        Files.writeString(tmp.resolve("bad.npy"), "not numpy");
        e = assertThrows(IOException.class, () -> PromptFiles.read(tmp.resolve("bad.npy"), 48));
        assertTrue(e.getMessage().contains("bad.npy"), e.getMessage());
    }
}
