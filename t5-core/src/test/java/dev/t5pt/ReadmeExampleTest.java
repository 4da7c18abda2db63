package dev.t5pt;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's library example (example/Classify.java, pasted there verbatim) runs as an embedder runs it: a plain
 * {@code java -cp ...} without any JVM flag, from the repository root. It labels two reviews with the shipped
 * trained prompt; without the Vector API flag the library falls back to ND4J's kernels and says so in one line.
 */
class ReadmeExampleTest {
    static final Path EXAMPLE = Path.of("src/test/java/example/Classify.java");

    @Test
    void readmeHoldsTheExampleVerbatim() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        String source = Files.readString(EXAMPLE);
        assertTrue(readme.contains(source), "README.md must hold " + EXAMPLE + " verbatim (between ```java fences)");
    }

    @Test
    void exampleRunsWithoutJvmFlags() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                absoluteClassPath(), "example.Classify");
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String o = new String(out, StandardCharsets.UTF_8);
        String e = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), o + e);
        assertEquals(List.of("positive\treview: the plot is enjoyable", "negative\treview: this movie is quite clumsy and horrible"),
                o.lines().toList(), e);
        // stderr: exactly the one warning that names the flag (no SLF4J lines, no stack trace)
        List<String> lines = e.lines().toList();
        assertEquals(1, lines.size(), e);
        assertTrue(lines.get(0).contains("--add-modules jdk.incubator.vector"), e);
    }

    private static String absoluteClassPath() {
        StringBuilder sb = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                sb.append(sb.length() > 0 ? File.pathSeparator : "").append(Path.of(entry).toAbsolutePath());
            }
        }
        return sb.toString();
    }
}
