package dev.t5pt.perf;

import dev.t5pt.config.T5Config;
import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.StepListener;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.T5Model;
import dev.t5pt.tune.Adafactor;
import dev.t5pt.weights.WeightOptions;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * The end-to-end workloads the benchmarks time, on seeded random weights at real T5 shapes: the
 * prompt-tuning step (forward + backward to the prompt + update), the encoder forward, greedy decoding.
 * Sizes as in the paper's setting: B=8, 128 input tokens + 100 prompt rows, 8 target tokens.
 */
public final class Workloads {
    public static final int BATCH = 8;
    public static final int INPUT_TOKENS = 128;
    public static final int PROMPT_LENGTH = 100;
    public static final int TARGET_TOKENS = 8;

    private final T5Model model;
    private final Batch batch;
    private final INDArray prompt;
    private final Activations act = new Activations();
    private final Adafactor optimizer = new Adafactor(0.8, 1e-30, 1.0, 1e-5);
    private long steps;

    public Workloads(T5Config config, long seed) {
        this(config, seed, WeightOptions.AS_STORED);
    }

    /** The workloads on a random model whose matrices are drawn straight into the format held asks for. */
    public Workloads(T5Config config, long seed, WeightOptions held) {
        this.model = T5Model.random(config, seed, held);
        this.batch = randomBatch(config, BATCH, INPUT_TOKENS, TARGET_TOKENS, new Random(seed));
        Nd4j.getRandom().setSeed(seed);
        this.prompt = Nd4j.rand(DataType.FLOAT, PROMPT_LENGTH, config.dModel()).subi(0.5);
    }

    /** The named shapes. */
    public static final java.util.List<String> SHAPES = java.util.List.of("t5-small", "t5-base-lm-adapt",
            "t5-large-lm-adapt", "t5-xl-lm-adapt", "t5-xxl-lm-adapt");

    /** A named shape (see {@link #SHAPES}). */
    public static T5Config shape(String name) {
        return switch (name) {
            case "t5-small" -> T5Config.t5Small();
            case "t5-base-lm-adapt" -> T5Config.t5BaseLmAdapt();
            case "t5-large-lm-adapt" -> T5Config.t5LargeLmAdapt();
            case "t5-xl-lm-adapt" -> T5Config.t5XlLmAdapt();
            case "t5-xxl-lm-adapt" -> T5Config.t5XxlLmAdapt();
            default -> throw new IllegalArgumentException("--shape: expected one of " + String.join(", ", SHAPES)
                    + ", found " + name);
        };
    }

    public T5Model model() {
        return model;
    }

    /** One prompt-tuning step: loss, dL/dP, and the paper's Adafactor update of P. Returns the loss. */
    public double step(boolean checkpointing) {
        return step(checkpointing, Dropout.NONE);
    }

    /** {@link #step(boolean)} with dropout inside the frozen model, as `tune` trains (a new mask every step). */
    public double step(boolean checkpointing, Dropout dropout) {
        var g = model.lossAndPromptGrad(act, batch, prompt, checkpointing, dropout.forStep(steps++), 0);
        float[] p = prompt.data().asFloat();
        optimizer.step(p, g.grad().data().asFloat(), (int) prompt.size(0), (int) prompt.size(1), 0.3);
        prompt.data().setData(p);
        return g.loss();
    }

    /** The encoder forward over the prompt-extended batch. */
    public INDArray encoder() {
        return model.encode(act, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE).hidden();
    }

    /** Greedy decoding of {@code tokens} tokens for one 128-token input, no EOS stopping. Returns the ids. */
    public int[][] decode(int tokens) {
        Batch one = Batch.inputs(new int[][]{batch.inputIds()[0]}, new int[][]{batch.attentionMask()[0]});
        return Greedy.generate(model, act, one, (INDArray) null, new Greedy.Options(tokens, false), StepListener.NONE);
    }

    public static Batch randomBatch(T5Config cfg, int b, int len, int t, Random r) {
        int[][] ids = new int[b][len];
        int[][] mask = new int[b][len];
        int[][] labels = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < len; j++) {
                ids[i][j] = j == len - 1 ? cfg.eosTokenId() : 3 + r.nextInt(Math.min(cfg.vocabSize(), 32000) - 3);
                mask[i][j] = 1;
            }
            for (int j = 0; j < t; j++) {
                labels[i][j] = j == t - 1 ? cfg.eosTokenId() : 3 + r.nextInt(Math.min(cfg.vocabSize(), 32000) - 3);
            }
        }
        return new Batch(ids, mask, labels);
    }
}
