package dev.t5pt.tune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Everything a prompt-tuning run depends on. The CLI (`tune`) defaults to the paper's: prompt length 100, Adafactor at a
 * constant 0.3 (decay 0.8, clipping 1.0, weight decay 1e-5), class-label init, dropout 0.1 in the frozen
 * model, batch 32.
 */
public record TrainConfig(
        int steps,
        int batchSize,
        int promptLength,
        String init,
        String optimizer,
        double lr,
        String schedule,
        int warmupSteps,
        double weightDecay,
        double gradClip,
        double dropout,
        long seed,
        int evalEvery,
        int checkpointEvery,
        int patience,
        int maxInputLength,
        int maxTargetLength,
        int evalBatchSize,
        int maxDecodeSteps,
        boolean activationCheckpointing,
        int maxBadSteps,
        int microBatchSize) {

    /** A negative weightDecay means the optimizer's default, which is what the record then holds. */
    /** Without gradient accumulation (micro-batch size 0): the batch in one pass. */
    public TrainConfig(int steps, int batchSize, int promptLength, String init, String optimizer, double lr, String schedule,
                       int warmupSteps, double weightDecay, double gradClip, double dropout, long seed, int evalEvery,
                       int checkpointEvery, int patience, int maxInputLength, int maxTargetLength, int evalBatchSize,
                       int maxDecodeSteps, boolean activationCheckpointing, int maxBadSteps) {
        this(steps, batchSize, promptLength, init, optimizer, lr, schedule, warmupSteps, weightDecay, gradClip, dropout, seed,
                evalEvery, checkpointEvery, patience, maxInputLength, maxTargetLength, evalBatchSize, maxDecodeSteps,
                activationCheckpointing, maxBadSteps, 0);
    }

    public TrainConfig {
        if (weightDecay < 0) {
            weightDecay = Optimizer.defaultWeightDecay(optimizer);
        }
        positive("--steps", steps);
        positive("--batch-size", batchSize);
        positive("--prompt-length", promptLength);
        positive("--max-input-length", maxInputLength);
        positive("--max-target-length", maxTargetLength);
        positive("--eval-batch-size", evalBatchSize);
        positive("--max-decode-steps", maxDecodeSteps);
        positive("--max-bad-steps", maxBadSteps);
        if (maxTargetLength < 2) {
            throw new IllegalArgumentException("--max-target-length: expected ≥ 2 (a token and EOS), found " + maxTargetLength);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("--lr: expected a positive number, found " + lr);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout: expected [0, 1), found " + dropout);
        }
        if (microBatchSize < 0 || (microBatchSize > 0 && batchSize % microBatchSize != 0)) {
            throw new IllegalArgumentException("micro-batch size: expected 0 (off) or a divisor of the batch size "
                    + batchSize + ", found " + microBatchSize);
        }
        if (evalEvery < 0 || checkpointEvery < 0 || patience < 0 || warmupSteps < 0 || gradClip < 0) {
            throw new IllegalArgumentException("--eval-every, --checkpoint-every, --patience, --warmup-steps and --grad-clip must be ≥ 0");
        }
    }

    public ObjectNode toJson() {
        return new ObjectMapper().valueToTree(this);
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + ": expected ≥ 1, found " + v);
        }
    }
}
