package dev.t5pt.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every I/O error names the user's path and the reason; temporary names never show. */
class IoErrorsTest {
    @Test
    void reasonsInWords() {
        assertEquals("/r/x: permission denied", IoErrors.describe(new AccessDeniedException("/r/x")));
        assertEquals("/r/x: No space left on device",
                IoErrors.at(Path.of("/r/x"), new IOException("No space left on device")).getMessage());
        // a temporary file's error is reported at the target, with the reason kept
        IOException inner = IoErrors.at(Path.of("/r/.best.tmp-1/prompt.npy"), new IOException("No space left on device"));
        assertEquals("/r/best: No space left on device", IoErrors.at(Path.of("/r/best"), inner).getMessage());
    }

    @Test
    void writingWhereADirectoryIsNamesTheTarget(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("taken/x"));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(tmp.resolve("taken"), "text"));
        assertTrue(e.getMessage().startsWith(tmp.resolve("taken") + ": "), e.getMessage());
        assertTrue(Files.isDirectory(dir));
    }

    @Test
    void aFailedDirectorySwapNamesTheDirectoryAndLeavesNoCopy(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("notes"), "mine");
        IOException e = assertThrows(IOException.class, () -> AtomicDirectory.replace(tmp.resolve("out"), d -> {
            throw new IOException("No space left on device");
        }));
        assertEquals(tmp.resolve("out") + ": No space left on device", e.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "only the user's file");
        }
    }

    @Test
    void aFileThatIsNotSafetensorsIsNamedForWhatItIs(@TempDir Path tmp) throws Exception {
        Path text = Files.writeString(tmp.resolve("a.safetensors"), "hello world, this is text\n");
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(text));
        assertTrue(e.getMessage().contains("a.safetensors: not a safetensors file: it looks like a text file"), e.getMessage());
        Path zip = Files.write(tmp.resolve("b.safetensors"), new byte[]{'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0});
        IOException z = assertThrows(IOException.class, () -> SafetensorsFile.open(zip));
        assertTrue(z.getMessage().contains("zip archive") && z.getMessage().contains("convert"), z.getMessage());
    }

    @Test
    void aBrokenConfigGetsLineAndColumnWithoutParserInternals(@TempDir Path tmp) throws Exception {
        Path cfg = Files.writeString(tmp.resolve("config.json"), "{\n  \"d_model\": 4,\n}\n");
        IOException e = assertThrows(IOException.class, () -> dev.t5pt.config.T5Config.load(cfg));
        assertTrue(e.getMessage().startsWith(cfg + ":3:1: not valid JSON"), e.getMessage());
        assertTrue(!e.getMessage().contains("Source") && !e.getMessage().contains("REDACTED"), e.getMessage());
    }

    @Test
    void aDirectoryReadAsAFileIsNamed(@TempDir Path tmp) {
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(tmp));
        assertEquals(tmp + ": is a directory, expected a .safetensors file", e.getMessage());
        IOException t = assertThrows(IOException.class, () -> dev.t5pt.tokenizer.T5Tokenizer.load(tmp));
        assertTrue(t.getMessage().startsWith(tmp + ": is a directory"), t.getMessage());
    }
}
