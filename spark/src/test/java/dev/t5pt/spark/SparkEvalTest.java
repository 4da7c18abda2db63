package dev.t5pt.spark;

import dev.t5pt.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** eval --spark prints the metrics of eval in one process: greedy and rank classification, one prompt and an ensemble. */
class SparkEvalTest {
    static String eval(String... extra) {
        List<String> a = new ArrayList<>(List.of("eval", "--model", "../models/tiny-t5-demo", "--prompt",
                "../models/tiny-t5-demo/prompts/sentiment", "--data", "../demo/sentiment-dev.jsonl", "--json", "--batch-size", "16"));
        a.addAll(List.of(extra));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(a.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, out + "\n" + err);
        return out.toString();
    }

    @Test
    void sameMetricsWithAndWithoutSpark() {
        String greedy = eval();
        assertTrue(greedy.contains("\"exact_match\""), greedy);
        assertEquals(greedy, eval("--spark", "local[2]"));
        assertEquals(eval("--rank-classification"), eval("--rank-classification", "--spark", "local[2]"));
        String[] ensemble = {"--prompt", "../models/tiny-t5-demo/prompts/sentiment/prompt.npy"};
        assertEquals(eval(ensemble), eval(concat(ensemble, "--spark", "local[2]")));
    }

    @Test
    void generateGivesTheSameOutputsInOrder() throws Exception {
        for (String[] how : new String[][]{{"--batch-size", "4"}, {"--beam", "2"}}) {
            List<String> a = new ArrayList<>(List.of("generate", "--model", "../models/tiny-t5-demo", "--prompt",
                    "../models/tiny-t5-demo/prompts/sentiment", "--in", "../demo/sentiment-dev.jsonl", "--json", "--max-steps", "3"));
            a.addAll(List.of(how));
            String local = run(a);
            a.addAll(List.of("--spark", "local[2]"));
            assertEquals(local, run(a), String.join(" ", how));
            assertEquals(100, local.lines().count());
            Path file = Files.createTempDirectory("t5pt-gen").resolve("predictions.jsonl");
            a.addAll(List.of("--out", file.toString()));
            run(a);
            assertEquals(local, Files.readString(file));
        }
    }

    static String run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err)), err.toString());
        return out.toString();
    }

    static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }
}
