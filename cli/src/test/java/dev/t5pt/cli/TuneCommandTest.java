package dev.t5pt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tune / eval / generate from the command line, and their bad-input errors. */
class TuneCommandTest {
    @TempDir
    Path tmp;

    static final String MODEL = "../models/tiny-t5-demo";
    static final String TRAIN = "../demo/sentiment-train.jsonl";
    static final String DEV = "../demo/sentiment-dev.jsonl";

    Cli tune(Path out, String... extra) {
        String[] base = {"tune", "--model", MODEL, "--train", TRAIN, "--dev", DEV, "--out", out.toString(), "--steps", "4",
                "--batch-size", "4", "--prompt-length", "5", "--eval-every", "2", "--max-input-length", "32",
                "--eval-batch-size", "32"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return Cli.run(all);
    }

    static void oneError(Cli r, String... mention) {
        assertTrue(r.code() != 0, "exit code");
        var errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        for (String m : mention) {
            assertTrue(errors.get(0).contains(m), "'" + m + "' in " + errors.get(0));
        }
    }

    @Test
    void tuneThenEvalEnsembleThenGenerate() throws Exception {
        Path run = tmp.resolve("run");
        Cli r = tune(run);
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readAllLines(run.resolve("metrics.csv")).get(0).startsWith("step,train_loss"));
        assertEquals(5, Files.readAllLines(run.resolve("metrics.csv")).size());
        oneError(tune(run), "is a t5pt run", "--resume", "--overwrite");
        assertEquals(0, tune(run, "--overwrite").code());

        Cli e = Cli.run("eval", "--model", MODEL, "--prompt", run.resolve("best").toString(), "--prompt",
                run.resolve("last/prompt.npy").toString(), "--data", DEV, "--json", "--batch-size", "64");
        assertEquals(0, e.code(), e.err());
        String[] lines = e.out().strip().split("\n");
        assertEquals(3, lines.length, e.out());
        assertTrue(lines[2].contains("\"exact_match\"") && lines[2].contains("ensemble"), lines[2]);
        Cli rank = Cli.run("eval", "--model", MODEL, "--prompt", run.resolve("best").toString(), "--data", DEV,
                "--rank-classification");
        assertEquals(0, rank.code(), rank.err());

        Cli g = Cli.run("generate", "--model", MODEL, "--prompt", run.resolve("best").toString(), "--input",
                "review: the film was wonderful", "--input", "review: dull", "--max-steps", "4");
        assertEquals(0, g.code(), g.err());
        assertEquals(2, g.out().strip().split("\n").length);
        Cli b = Cli.run("generate", "--model", MODEL, "--prompt", run.resolve("best").toString(), "--input",
                "review: the film was wonderful", "--beam", "3", "--max-steps", "4", "--json");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("\"output\""));
    }

    @Test
    void badInputs() throws Exception {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"input\": \"a\", \"target\": \"positive\"}\n{\"input\": 3}\n");
        Cli r = Cli.run("tune", "--model", MODEL, "--train", bad.toString(), "--out", tmp.resolve("r1").toString(), "--steps", "1");
        oneError(r, "bad.jsonl:2", "--skip-bad");
        assertFalse(Files.exists(tmp.resolve("r1")), "nothing written");
        r = Cli.run("tune", "--model", MODEL, "--train", bad.toString(), "--out", tmp.resolve("r2").toString(), "--steps", "1",
                "--skip-bad", "--batch-size", "1", "--prompt-length", "2", "--dropout", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("1 bad lines skipped"), r.err());

        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "\n");
        oneError(Cli.run("tune", "--model", MODEL, "--train", empty.toString(), "--out", tmp.resolve("r3").toString()),
                "empty.jsonl", "no examples");

        Path longLabel = tmp.resolve("long.jsonl");
        Files.writeString(longLabel, "{\"input\": \"a\", \"target\": \"a very long label that will not fit\"}\n");
        oneError(Cli.run("tune", "--model", MODEL, "--train", longLabel.toString(), "--out", tmp.resolve("r4").toString(),
                "--max-target-length", "3", "--steps", "1"), "--max-target-length", "label");

        oneError(Cli.run("eval", "--model", MODEL, "--prompt", "../t5-core/src/test/resources/prompts/sst2.npy",
                "--data", DEV), "sst2.npy", "768", "128");
        oneError(Cli.run("tune", "--model", MODEL, "--train", TRAIN, "--out", tmp.resolve("r5").toString(), "--lr", "-1"), "--lr");
        oneError(Cli.run("tune", "--model", MODEL, "--train", TRAIN, "--out", tmp.resolve("r6").toString(), "--init", "zeros"), "--init");
    }

    @Test
    void nonFiniteLossesSkipStepsThenStop() throws Exception {
        float[] nan = new float[5 * 128];
        java.util.Arrays.fill(nan, Float.NaN);
        Path p = tmp.resolve("nan.npy");
        dev.t5pt.io.Npy.write(p, org.nd4j.linalg.factory.Nd4j.create(nan, new long[]{5, 128}, 'c'));
        Cli r = Cli.run("tune", "--model", MODEL, "--train", TRAIN, "--out", tmp.resolve("nan").toString(), "--steps", "20",
                "--batch-size", "2", "--prompt-length", "5", "--init", "file:" + p, "--max-input-length", "32");
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("warning: step 1") && r.err().contains("5 non-finite steps in a row"), r.err());
    }
}
