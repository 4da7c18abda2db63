package dev.t5pt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C on a real `tune` process: SIGINT mid-run leaves an intact checkpoint at the last finished step,
 * and --resume continues from it to the end.
 */
class InterruptTest {
    @Test
    void sigintLeavesACheckpointThatResumes(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "tune", "--model", "../models/tiny-t5-demo", "--train", "../demo/sentiment-train.jsonl",
                "--out", run.toString(), "--steps", "100000", "--batch-size", "2", "--prompt-length", "3",
                "--max-input-length", "16", "--checkpoint-every", "1000", "--eval-every", "0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                log.append(line).append('\n');
                if (line.startsWith("step 50/")) {   // printed every 50 steps when not on a terminal
                    new ProcessBuilder("kill", sigintIgnored() ? "-TERM" : "-INT", Long.toString(p.pid())).start().waitFor();
                }
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), log.toString());
        assertTrue(Files.exists(run.resolve("checkpoint/state.json")), log.toString());
        String state = Files.readString(run.resolve("checkpoint/state.json"));
        long step = Long.parseLong(state.replaceAll("(?s).*\"step\"\\s*:\\s*(\\d+).*", "$1"));
        assertTrue(step >= 50 && step < 100000, "checkpoint at the interrupted step: " + step + "\n" + log);
        assertTrue(log.toString().contains("stopped at step " + step), log.toString());
        long rows = Files.readAllLines(run.resolve("metrics.csv")).size() - 1;
        assertEquals(step, rows, "one metrics row per finished step");

        Cli resumed = Cli.run("tune", "--model", "../models/tiny-t5-demo", "--train", "../demo/sentiment-train.jsonl",
                "--out", run.toString(), "--steps", Long.toString(step + 3), "--batch-size", "2", "--prompt-length", "3",
                "--max-input-length", "16", "--checkpoint-every", "1000", "--eval-every", "0", "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming at step " + step), resumed.err());
        assertEquals(step + 3, Files.readAllLines(run.resolve("metrics.csv")).size() - 1);
        assertTrue(new File(run.resolve("best/adapter_model.safetensors").toString()).exists());
    }

    /**
     * Whether this JVM (and so its child) was started with SIGINT ignored, as a shell does for a background job
     * (mvn test &): a JVM then installs no handler for it, so the test stops the run with SIGTERM, which takes
     * the same shutdown path.
     */
    static boolean sigintIgnored() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 0x2) != 0;
            }
        }
        return false;
    }
}
