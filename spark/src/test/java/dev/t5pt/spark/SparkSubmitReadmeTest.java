package dev.t5pt.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's spark-submit line, run through TuneJob in local mode (spark.master set as spark-submit sets it). */
class SparkSubmitReadmeTest {
    @Test
    void readmeSparkSubmitLineRuns(@TempDir Path tmp) throws Exception {
        String line = Files.readAllLines(Path.of("../README.md")).stream().filter(l -> l.startsWith("spark-submit --class"))
                .findFirst().orElseThrow(() -> new AssertionError("README.md has no spark-submit line"));
        List<String> words = new ArrayList<>(Arrays.asList(line.split(" ")));
        int jar = words.indexOf("spark/target/t5pt-spark.jar");
        assertTrue(jar > 0, line);
        assertTrue(words.contains("dev.t5pt.spark.TuneJob"), line);
        List<String> flags = new ArrayList<>();
        for (String w : words.subList(jar + 1, words.size())) {
            // paths in the line are relative to the repository root; this test runs in spark/
            flags.add(w.startsWith("models/") || w.startsWith("demo/") ? "../" + w : w.startsWith("runs/") ? tmp.resolve(w).toString() : w);
        }
        System.setProperty("spark.master", "local[2]");
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = TuneJob.run(flags.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
            assertEquals(0, code, out + "\n" + err);
        } finally {
            System.clearProperty("spark.master");
        }
        assertTrue(Files.exists(tmp.resolve("runs/cluster-demo/best/prompt.npy")));
    }
}
