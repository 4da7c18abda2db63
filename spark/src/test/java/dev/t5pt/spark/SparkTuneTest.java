package dev.t5pt.spark;

import dev.t5pt.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prompt tuning through Spark in local mode gives the bytes of the run in one process: 16 rows a step in
 * micro-batches of 4, dropout 0.1, twenty steps; and a task that fails once (local[2,2] retries it) changes nothing.
 */
class SparkTuneTest {
    static final List<String> SAME = List.of("best/prompt.npy", "best/adapter_model.safetensors", "last/prompt.npy",
            "checkpoint/state.safetensors");

    static String[] tune(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("tune", "--model", "../models/tiny-t5-demo", "--train",
                "../demo/sentiment-train.jsonl", "--dev", "../demo/sentiment-dev.jsonl", "--out", out.toString(),
                "--steps", "20", "--batch-size", "16", "--micro-batch-size", "4", "--dropout", "0.1", "--prompt-length", "5",
                "--max-input-length", "32", "--eval-every", "10", "--eval-batch-size", "50"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    static void run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, out + "\n" + err);
    }

    @Test
    void dataFromAHadoopFileSystemUrl(@TempDir Path tmp) throws Exception {
        run(tune(tmp.resolve("local")));
        String train = Path.of("../demo/sentiment-train.jsonl").toAbsolutePath().normalize().toUri().toString();
        String dev = Path.of("../demo/sentiment-dev.jsonl").toAbsolutePath().normalize().toUri().toString();
        assertTrue(train.startsWith("file:/"), train);
        List<String> a = new ArrayList<>(List.of(tune(tmp.resolve("url"), "--spark", "local[2]")));
        a.set(a.indexOf("--train") + 1, train);
        a.set(a.indexOf("--dev") + 1, dev);
        run(a.toArray(String[]::new));
        for (String f : SAME) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)), Files.readAllBytes(tmp.resolve("url").resolve(f)), f);
        }
        String record = Files.readString(tmp.resolve("url/run.json"));
        assertTrue(record.contains(train), record);
        // resuming reads the data again through Spark and checks it is the run's
        run("tune", "--resume", "--out", tmp.resolve("url").toString(), "--steps", "22", "--spark", "local[2]");
    }

    /** --weights reaches the executors: an int8 run through Spark gives the in-process int8 run's bytes. */
    @Test
    void weightsReachTheExecutors(@TempDir Path tmp) throws Exception {
        run(tune(tmp.resolve("local"), "--weights", "int8"));
        run(tune(tmp.resolve("spark"), "--weights", "int8", "--spark", "local[2]"));
        run(tune(tmp.resolve("stored")));
        for (String f : SAME) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)), Files.readAllBytes(tmp.resolve("spark").resolve(f)), f);
        }
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("local/last/prompt.npy")),
                Files.readAllBytes(tmp.resolve("stored/last/prompt.npy"))), "int8 changes the run");
    }

    @Test
    void sparkRunEqualsTheInProcessRunEvenWhenATaskFails(@TempDir Path tmp) throws Exception {
        run(tune(tmp.resolve("local")));
        run(tune(tmp.resolve("spark"), "--spark", "local[2]"));
        for (String f : SAME) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)), Files.readAllBytes(tmp.resolve("spark").resolve(f)), f);
        }

        System.setProperty(SparkGradients.FAIL_ONCE, "5:2");   // step 5's third micro-batch fails on its first attempt
        try {
            int before = PartTask.INJECTED.get();
            run(tune(tmp.resolve("retried"), "--spark", "local[2,2]"));
            assertEquals(before + 1, PartTask.INJECTED.get(), "the failure was injected once");
        } finally {
            System.clearProperty(SparkGradients.FAIL_ONCE);
        }
        for (String f : SAME) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)), Files.readAllBytes(tmp.resolve("retried").resolve(f)), f);
        }
    }
}
