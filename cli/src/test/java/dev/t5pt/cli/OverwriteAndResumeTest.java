package dev.t5pt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.t5pt.cli.TuneCommandTest.DEV;
import static dev.t5pt.cli.TuneCommandTest.MODEL;
import static dev.t5pt.cli.TuneCommandTest.TRAIN;
import static dev.t5pt.cli.TuneCommandTest.oneError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nothing of the user's is ever lost: what --overwrite, demo --out and a failed run may and may not touch; --resume. */
class OverwriteAndResumeTest {
    @TempDir
    Path tmp;

    static final String[] SMALL = {"--steps", "2", "--batch-size", "2", "--prompt-length", "3", "--max-input-length", "16",
            "--eval-every", "2", "--eval-batch-size", "32"};

    static Cli tune(String model, String train, Path out, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("tune", "--model", model, "--train", train, "--out", out.toString()));
        a.addAll(List.of(SMALL));
        a.addAll(List.of(extra));
        return Cli.run(a.toArray(String[]::new));
    }

    /** Every file under dir with its bytes, to show a directory untouched. */
    static java.util.Map<String, String> snapshot(Path dir) throws Exception {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return m;
    }

    @Test
    void overwriteNeverTouchesAProjectDirectoryOrAFile() throws Exception {
        Path project = tmp.resolve("project");
        Files.createDirectories(project.resolve("src"));
        Files.writeString(project.resolve("notes.txt"), "my notes\n");
        Files.writeString(project.resolve("src/a.java"), "class A {}\n");
        Files.copy(Path.of(TRAIN), project.resolve("train.jsonl"));
        var before = snapshot(project);
        oneError(tune(MODEL, project.resolve("train.jsonl").toString(), project, "--overwrite"), "not a t5pt run", "nothing was changed");
        assertEquals(before, snapshot(project));

        Path dataset = tmp.resolve("data.jsonl");
        Files.copy(Path.of(TRAIN), dataset);
        byte[] bytes = Files.readAllBytes(dataset);
        oneError(tune(MODEL, TRAIN, dataset, "--overwrite"), "is a file", "nothing was changed");
        assertArrayEquals(bytes, Files.readAllBytes(dataset));

        oneError(Cli.run("demo", "--out", project.toString(), "--steps", "1"), "not a t5pt run");
        assertEquals(before, snapshot(project));
    }

    @Test
    void overwriteKeepsTheOldRunUntilTheNewOneIsValid() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, tune(MODEL, TRAIN, run).code());
        var finished = snapshot(run);
        oneError(tune("../models/no-such-model", TRAIN, run, "--overwrite"), "no-such-model");
        oneError(tune(MODEL, TRAIN, run, "--overwrite", "--init", "bogus"), "init");
        oneError(tune(MODEL, TRAIN, run, "--overwrite", "--init", "file:" + tmp.resolve("missing.npy")), "missing.npy");
        assertEquals(finished, snapshot(run), "a failed --overwrite leaves the finished run as it was");

        // a run directory holding the command's own input is never replaced
        Files.copy(Path.of(TRAIN), run.resolve("train.jsonl"));
        oneError(tune(MODEL, run.resolve("train.jsonl").toString(), run, "--overwrite"), "holds", "train.jsonl");
        assertTrue(Files.exists(run.resolve("train.jsonl")));

        Files.delete(run.resolve("train.jsonl"));
        Cli ok = tune(MODEL, TRAIN, run, "--overwrite", "--seed", "5");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.readString(run.resolve("run.json")).contains("\"--seed\" : \"5\""));
        assertEquals(List.of(), hidden(tmp), "no temporary copies left");
    }

    @Test
    void aFailedNewRunLeavesNothingBehind() throws Exception {
        float[] wide = new float[3 * 64];
        Path wrongWidth = tmp.resolve("wide.npy");
        dev.t5pt.io.Npy.write(wrongWidth, org.nd4j.linalg.factory.Nd4j.create(wide, new long[]{3, 64}, 'c'));
        for (String init : new String[]{"bogus", "uniform:abc", "file:/missing.npy", "file:" + wrongWidth}) {
            Path run = tmp.resolve("fresh");
            Cli r = tune(MODEL, TRAIN, run, "--init", init);
            assertTrue(r.code() != 0, init);
            oneError(r);
            assertFalse(Files.exists(run), init + ": nothing written");
        }
        assertEquals(List.of(), hidden(tmp));
        assertEquals(0, tune(MODEL, TRAIN, tmp.resolve("fresh")).code(), "the corrected command runs");
    }

    @Test
    void resumeNeedsOnlyOutAndRefusesContradictions() throws Exception {
        Path run = tmp.resolve("run");
        Cli first = Cli.run("tune", "--model", MODEL + "/config.json", "--train", TRAIN, "--dev", DEV, "--out", run.toString(),
                "--steps", "2", "--batch-size", "2", "--prompt-length", "3", "--max-input-length", "16", "--eval-every", "2",
                "--eval-batch-size", "32", "--seed", "3", "--lr", "0.1", "--dropout", "0.05");
        assertEquals(0, first.code(), first.err());
        String record = Files.readString(run.resolve("run.json"));
        assertTrue(record.contains("tiny-t5-demo\"") && record.contains("crc32c:") && record.contains("\"weightDecay\" : 1.0E-5")
                && record.contains("\"t5pt\""), record);

        oneError(Cli.run("tune", "--resume", "--out", run.toString(), "--seed", "4"), "--seed 4", "--seed 3", "--steps");
        oneError(Cli.run("tune", "--resume", "--out", run.toString(), "--lr", "0.3"), "--lr");
        oneError(Cli.run("tune", "--resume", "--out", run.toString(), "--dropout", "0.1"), "--dropout");
        Cli same = Cli.run("tune", "--resume", "--out", run.toString(), "--steps", "4", "--seed", "3", "--lr", "0.10");
        assertEquals(0, same.code(), same.err());
        assertTrue(same.err().contains("resuming at step 2"), same.err());
        assertEquals(5, Files.readAllLines(run.resolve("metrics.csv")).size());

        // the settings came from the record: the same as one uninterrupted 4-step run
        Path straight = tmp.resolve("straight");
        assertEquals(0, Cli.run("tune", "--model", MODEL, "--train", TRAIN, "--dev", DEV, "--out", straight.toString(),
                "--steps", "4", "--batch-size", "2", "--prompt-length", "3", "--max-input-length", "16", "--eval-every", "2",
                "--eval-batch-size", "32", "--seed", "3", "--lr", "0.1", "--dropout", "0.05").code());
        assertArrayEquals(Files.readAllBytes(straight.resolve("last/prompt.npy")), Files.readAllBytes(run.resolve("last/prompt.npy")));
        assertArrayEquals(Files.readAllBytes(straight.resolve("best/prompt.npy")), Files.readAllBytes(run.resolve("best/prompt.npy")));

        // a changed input is not the same run
        Path train = tmp.resolve("train.jsonl");
        Files.copy(Path.of(TRAIN), train);
        Path other = tmp.resolve("other");
        assertEquals(0, tune(MODEL, train.toString(), other).code());
        Files.writeString(train, "{\"input\": \"review: new\", \"target\": \"positive\"}\n", java.nio.file.StandardOpenOption.APPEND);
        oneError(Cli.run("tune", "--resume", "--out", other.toString(), "--steps", "3"), "train.jsonl", "changed");

        oneError(Cli.run("tune", "--resume", "--out", tmp.resolve("never").toString()), "no run to resume");
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        oneError(Cli.run("tune", "--resume", "--out", plain.toString()), "not a t5pt run");
    }

    /** Hidden entries (t5pt's temporary and swapped copies) anywhere under dir. */
    static List<String> hidden(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")).map(Path::toString).toList();
        }
    }
}
