package dev.t5pt.tune;

import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 20 steps straight equal 10 steps, a stop, and 10 resumed steps: same prompt bytes, same optimizer state. */
class ResumeTest {
    static final Trainer.Listener QUIET = new Trainer.Listener() {
        public void step(long s, long t, double l, double tps, double left) { }
        public void evaluated(long s, Metrics m, boolean b) { }
        public void message(String text) { }
    };

    @Test
    void resumedRunIsIdentical(@TempDir Path tmp) throws Exception {
        T5Model m = TuneTestSupport.smallRandomT5();
        T5Tokenizer tok = T5Tokenizer.t5Default();
        Dataset train = Dataset.read(TuneTestSupport.repo("demo/sentiment-train.jsonl"), "input", "target", false);
        Dataset dev = new Dataset(train.source(), train.examples().subList(0, 8), 0);
        TrainConfig cfg = TrainConfig.defaults().steps(20).batchSize(4).promptLength(5).init("vocab").lr(0.3)
                .gradClip(1.0).dropout(0.1).seed(7).evalEvery(5).checkpointEvery(5).patience(0)
                .maxInputLength(32).maxTargetLength(8).evalBatchSize(8).maxDecodeSteps(3).build();

        new Trainer(m, tok, cfg, tmp.resolve("straight"), QUIET).run(train, dev, Trainer.Start.NEW);
        Trainer interrupted = new Trainer(m, tok, cfg, tmp.resolve("resumed"), QUIET);
        interrupted.stopAfter(10);
        Trainer.Result half = interrupted.run(train, dev, Trainer.Start.NEW);
        assertEquals(10, half.steps());
        assertEquals(10, Checkpoint.read(tmp.resolve("resumed/checkpoint")).step());
        new Trainer(m, tok, cfg, tmp.resolve("resumed"), QUIET).run(train, dev, Trainer.Start.RESUME);

        Checkpoint a = Checkpoint.read(tmp.resolve("straight/checkpoint"));
        Checkpoint b = Checkpoint.read(tmp.resolve("resumed/checkpoint"));
        assertEquals(20, a.step());
        assertEquals(20, b.step());
        assertArrayEquals(a.prompt().data().asFloat(), b.prompt().data().asFloat(), "prompt bytes");
        assertEquals(a.optimizer().keySet(), b.optimizer().keySet());
        for (String k : a.optimizer().keySet()) {
            assertArrayEquals(a.optimizer().get(k), b.optimizer().get(k), k);
        }
        assertEquals(a.epoch(), b.epoch());
        assertEquals(a.index(), b.index());
        List<String> ma = Files.readAllLines(tmp.resolve("straight/metrics.csv"));
        List<String> mb = Files.readAllLines(tmp.resolve("resumed/metrics.csv"));
        assertEquals(21, ma.size());
        assertEquals(ma.size(), mb.size(), "one row per step, no duplicates after resuming");
        for (int i = 1; i < ma.size(); i++) {
            assertEquals(ma.get(i).split(",")[1], mb.get(i).split(",")[1], "train loss at row " + i);
        }
        for (String f : new String[]{"run.json", "metrics.csv", "loss.png", "dev.png", "best/adapter_config.json",
                "best/adapter_model.safetensors", "best/prompt.npy", "last/prompt.npy"}) {
            assertTrue(Files.exists(tmp.resolve("resumed").resolve(f)), f);
        }
    }

    @Test
    void stoppedBeforeTheFirstStepPresentsNoResultAndResumesFromStepZero(@TempDir Path tmp) throws Exception {
        T5Model m = TuneTestSupport.smallRandomT5();
        T5Tokenizer tok = T5Tokenizer.t5Default();
        Dataset train = Dataset.read(TuneTestSupport.repo("demo/sentiment-train.jsonl"), "input", "target", false);
        TrainConfig cfg = TrainConfig.defaults().steps(3).batchSize(4).promptLength(5).init("vocab").lr(0.3)
                .gradClip(1.0).dropout(0.1).seed(7).evalEvery(0).checkpointEvery(5).patience(0)
                .maxInputLength(32).maxTargetLength(8).evalBatchSize(8).maxDecodeSteps(3).build();
        Trainer early = new Trainer(m, tok, cfg, tmp.resolve("run"), QUIET);
        early.requestStop();   // Ctrl-C before the first step
        Trainer.Result r = early.run(train, null, Trainer.Start.NEW);
        assertEquals(0, r.steps());
        assertTrue(Files.exists(tmp.resolve("run/run.json")));
        for (String f : new String[]{"best", "last", "checkpoint"}) {
            assertTrue(!Files.exists(tmp.resolve("run").resolve(f)), f + " holds no untrained prompt");
        }
        new Trainer(m, tok, cfg, tmp.resolve("run"), QUIET).run(train, null, Trainer.Start.RESUME);
        new Trainer(m, tok, cfg, tmp.resolve("straight"), QUIET).run(train, null, Trainer.Start.NEW);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("straight/last/prompt.npy")), Files.readAllBytes(tmp.resolve("run/last/prompt.npy")));
    }
}
