package dev.t5pt.tune;

import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's run as a test: a prompt tuned on the bundled random-weight T5-vocabulary model for the toy
 * review task. The loss must fall clearly and the dev exact match rise well above chance (0.5).
 */
class EndToEndTuningTest {
    @Test
    void lossFallsAndDevMetricBeatsChance(@TempDir Path tmp) throws Exception {
        T5Model m = T5Model.load(TuneTestSupport.repo("models/tiny-t5-demo"));
        Dataset train = Dataset.read(TuneTestSupport.repo("demo/sentiment-train.jsonl"), "input", "target", false);
        Dataset dev = Dataset.read(TuneTestSupport.repo("demo/sentiment-dev.jsonl"), "input", "target", false);
        TrainConfig cfg = TrainConfig.defaults().steps(600).batchSize(16).promptLength(20).init("labels").lr(0.1)
                .gradClip(0).dropout(0.0).seed(42).evalEvery(100).checkpointEvery(100).patience(0)
                .maxInputLength(32).maxTargetLength(8).evalBatchSize(64).maxDecodeSteps(4).build();
        Trainer.Result r = new Trainer(m, T5Tokenizer.t5Default(), cfg, tmp.resolve("run"), ResumeTest.QUIET).run(train, dev, Trainer.Start.NEW);

        List<String> rows = Files.readAllLines(tmp.resolve("run/metrics.csv"));
        double first = mean(rows.subList(1, 51));
        double last = mean(rows.subList(rows.size() - 50, rows.size()));
        assertTrue(last < 0.5 * first, "training loss falls clearly: first 50 steps " + first + ", last 50 " + last);
        assertTrue(r.bestScore() >= 0.7, "dev exact match " + r.bestScore() + " (chance 0.5)");
        for (String f : new String[]{"run.json", "metrics.csv", "loss.png", "dev.png", "best/adapter_config.json",
                "best/adapter_model.safetensors", "best/prompt.npy", "checkpoint/state.json"}) {
            assertTrue(Files.exists(tmp.resolve("run").resolve(f)), f);
        }
    }

    static double mean(List<String> rows) {
        return rows.stream().mapToDouble(l -> Double.parseDouble(l.split(",")[1])).average().orElseThrow();
    }
}
