package dev.t5pt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.t5pt.cli.TuneCommandTest.DEV;
import static dev.t5pt.cli.TuneCommandTest.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a new user meets on the command line: help, usage errors, eval's outputs, generate and tokenize inputs. */
class FirstContactTest {
    static final String PROMPT = "../models/tiny-t5-demo/prompts/sentiment";

    @TempDir
    Path tmp;

    @Test
    void usageErrorIsOneLineAndWhereHelpIs() {
        Cli r = Cli.run("tune", "--steps", "x");
        assertEquals(2, r.code());
        List<String> lines = r.err().lines().toList();
        assertEquals(2, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("error: "), r.err());
        assertEquals("Try 't5pt tune --help' for more information.", lines.get(1));
    }

    @Test
    void helpHasNoFormatWarningsAndWholeParagraphs() {
        for (String cmd : new String[]{"tune", "bench", "eval", "generate", "tokenize", "demo", "convert", "dump"}) {
            Cli r = Cli.run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertFalse((r.out() + r.err()).contains("picocli WARN"), cmd + ": " + r.err());
            // a description line never ends mid-sentence right before a short continuation line
            List<String> lines = r.out().lines().toList();
            for (int i = 1; i < lines.size(); i++) {
                if (!lines.get(i).startsWith(" ") && !lines.get(i).isEmpty() && !lines.get(i - 1).isEmpty() && !lines.get(i - 1).startsWith(" ")
                        && !lines.get(i - 1).startsWith("Usage") && !lines.get(i).matches("^([0-9]+\\.|-).*")) {
                    assertTrue(lines.get(i - 1).length() > 60, cmd + " help breaks early: \"" + lines.get(i - 1) + "\"");
                }
            }
        }
    }

    @Test
    void evalOfOnePromptWritesPredictionsAndAConfusionMatrix() throws Exception {
        Path pred = tmp.resolve("pred.jsonl");
        Cli r = Cli.run("eval", "--model", MODEL, "--prompt", PROMPT, "--data", DEV, "--predictions", pred.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("ensemble"), r.out());
        assertTrue(r.out().contains("confusion matrix") && r.out().contains("positive") && r.out().contains("(other)"), r.out());
        List<String> lines = Files.readAllLines(pred);
        assertEquals(Files.readAllLines(Path.of(DEV)).stream().filter(l -> !l.isBlank()).count(), lines.size());
        ObjectMapper om = new ObjectMapper();
        int correct = 0;
        for (String l : lines) {
            JsonNode j = om.readTree(l);
            assertTrue(j.has("input") && j.has("gold") && j.has("prediction") && j.has("correct"), l);
            assertEquals(j.get("gold").asText().equals(j.get("prediction").asText()), j.get("correct").asBoolean(), l);
            correct += j.get("correct").asBoolean() ? 1 : 0;
        }
        double em = Double.parseDouble(r.out().replaceAll("(?s).*exact match ([0-9.]+).*", "$1"));
        assertEquals(em, (double) correct / lines.size(), 1e-4, "the file agrees with the printed exact match");
    }

    @Test
    void generateReadsTsvInputsWithoutTheGoldColumn() throws Exception {
        Path tsv = tmp.resolve("in.tsv");
        Files.writeString(tsv, "input\ttarget\nreview: the plot is enjoyable\tpositive\n");
        Cli fromTsv = Cli.run("generate", "--model", MODEL, "--prompt", PROMPT, "--in", tsv.toString(), "--json", "--max-steps", "3");
        Cli direct = Cli.run("generate", "--model", MODEL, "--prompt", PROMPT, "--input", "review: the plot is enjoyable",
                "--json", "--max-steps", "3");
        assertEquals(0, fromTsv.code(), fromTsv.err());
        assertEquals(direct.out(), fromTsv.out());
        assertEquals(1, fromTsv.out().lines().count());
    }

    @Test
    void tokenizePlainText() {
        Cli r = Cli.run("tokenize", "--text", "Hello there", "--text", "Hi I am");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("{\"ids\":[8774,132,1],\"pieces\":[\"▁Hello\",\"▁there\",\"</s>\"]}",
                "{\"ids\":[2018,27,183,1],\"pieces\":[\"▁Hi\",\"▁I\",\"▁am\",\"</s>\"]}"), r.out().lines().toList());
    }

    @Test
    void aRunWithoutDevSaysNoBestScoreAndDrawsNoDevPlot() throws Exception {
        Path run = tmp.resolve("run");
        Cli r = Cli.run("tune", "--model", MODEL, "--train", DEV, "--out", run.toString(), "--steps", "2", "--batch-size", "2",
                "--prompt-length", "3", "--max-input-length", "16");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("n/a") || r.out().contains("step -1"), r.out());
        assertEquals(1, (r.out() + r.err()).lines().filter(l -> l.contains("completed 2 steps")).count(), r.out() + r.err());
        assertFalse(Files.exists(run.resolve("dev.png")));
        assertTrue(Files.exists(run.resolve("loss.png")));
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(run)));
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve("best"))));
    }
}
