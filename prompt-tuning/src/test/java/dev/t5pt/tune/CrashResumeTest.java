package dev.t5pt.tune;

import dev.t5pt.io.Renames;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash at each of the trainer's atomic writes in turn: the process "dies" right before its k-th rename (the
 * hook throws an Error, so no cleanup code runs, as with SIGKILL), then the run is recovered and resumed, and
 * must end with the same bytes as the run that was never interrupted: best/, last/, the checkpoint, the losses.
 */
class CrashResumeTest {
    /** What the fault hook throws: like a SIGKILL, it skips every catch (IOException | RuntimeException) cleanup. */
    static final class Killed extends Error {
        Killed(int k) {
            super("killed before rename " + k);
        }
    }

    static final List<String> SAME_BYTES = List.of("best/prompt.npy", "best/adapter_model.safetensors", "best/adapter_config.json",
            "last/prompt.npy", "last/adapter_model.safetensors", "checkpoint/state.safetensors", "checkpoint/state.json");

    @AfterEach
    void removeHook() {
        Renames.setHook(null);
    }

    @Test
    void killedBeforeEveryRenameThenResumedEqualsTheUninterruptedRun(@TempDir Path tmp) throws Exception {
        T5Model m = TuneTestSupport.smallRandomT5();
        T5Tokenizer tok = T5Tokenizer.t5Default();
        Dataset train = Dataset.read(TuneTestSupport.repo("demo/sentiment-train.jsonl"), "input", "target", false);
        Dataset dev = new Dataset(train.source(), train.examples().subList(0, 6), 0);
        // 6 steps: checkpoints at 2, 4, 6; evaluations (best/) at 3 and 6; dropout on, so masks must replay exactly
        TrainConfig cfg = TrainConfig.defaults().steps(6).batchSize(4).promptLength(4).init("vocab").lr(0.3)
                .gradClip(1.0).dropout(0.1).seed(11).evalEvery(3).checkpointEvery(2).patience(0)
                .maxInputLength(24).maxTargetLength(8).evalBatchSize(8).maxDecodeSteps(3).build();

        AtomicInteger renames = new AtomicInteger();
        Renames.setHook((from, to) -> renames.incrementAndGet());
        Path straight = tmp.resolve("straight/run");
        new Trainer(m, tok, cfg, straight, ResumeTest.QUIET).run(train, dev, Trainer.Start.NEW);
        int n = renames.get();
        assertTrue(n >= 20, "the run makes its writes through Renames: " + n);

        for (int k = 1; k <= n; k++) {
            Path run = tmp.resolve("k" + k + "/run");
            final int kill = k;
            AtomicInteger count = new AtomicInteger();
            AtomicInteger completeCheckpoints = new AtomicInteger();   // renames into .checkpoint.new-*: complete copies
            Renames.setHook((from, to) -> {
                if (count.incrementAndGet() == kill) {
                    throw new Killed(kill);
                }
                if (to.getFileName().toString().startsWith(".checkpoint.new-")) {
                    completeCheckpoints.incrementAndGet();
                }
            });
            boolean died = false;
            try {
                new Trainer(m, tok, cfg, run, ResumeTest.QUIET).run(train, dev, Trainer.Start.NEW);
            } catch (Killed expected) {
                died = true;
            }
            assertTrue(died, "rename " + k + " of " + n + " reached");
            Renames.setHook(null);

            // what `tune --resume --out RUN` does: recover (even a run killed before its directory appeared), resume
            assertTrue(RunDirectory.recover(run), "killed before rename " + k + ": a run to resume");
            Trainer.Start start = Trainer.Start.RESUME;
            // nothing is lost: the newest complete checkpoint is the one recovered (one every 2 steps)
            long recovered = Files.exists(run.resolve("checkpoint")) ? Checkpoint.read(run.resolve("checkpoint")).step() : 0;
            assertEquals(2L * completeCheckpoints.get(), recovered, "killed before rename " + k + ": checkpoint recovered");
            new Trainer(m, tok, cfg, run, ResumeTest.QUIET).run(train, dev, start);

            for (String f : SAME_BYTES) {
                assertArrayEquals(Files.readAllBytes(straight.resolve(f)), Files.readAllBytes(run.resolve(f)),
                        "killed before rename " + k + ": " + f);
            }
            assertEquals(losses(straight), losses(run), "killed before rename " + k + ": the loss of every step, once");
            assertEquals(List.of(), leftovers(run.getParent()), "killed before rename " + k + ": temporary copies left");
        }
    }

    static List<String> losses(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.csv"))) {
            String[] c = line.split(",", -1);
            out.add(c[0] + "," + c[1] + (c.length > 5 ? "," + c[5] : ""));
        }
        return out;
    }

    /** Hidden entries (t5pt's temporary and swapped copies) anywhere under dir. */
    static List<String> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")).map(p -> dir.relativize(p).toString()).toList();
        }
    }
}
