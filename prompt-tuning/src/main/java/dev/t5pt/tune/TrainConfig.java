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
        Optimizer.Kind optimizer,
        double lr,
        Schedule.Kind schedule,
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

    /**
     * The settings, checked ({@link SettingException} names the first bad one); a negative weightDecay means the
     * optimizer's default, which the record then holds. By name with the paper's defaults: {@link #defaults()}.
     */
    public TrainConfig {
        if (optimizer == null || schedule == null || init == null) {
            throw new SettingException(optimizer == null ? "optimizer" : schedule == null ? "schedule" : "init",
                    "expected a value, found none");
        }
        if (weightDecay < 0) {
            weightDecay = optimizer.defaultWeightDecay();
        }
        positive("steps", steps);
        positive("batchSize", batchSize);
        positive("promptLength", promptLength);
        positive("maxInputLength", maxInputLength);
        positive("maxTargetLength", maxTargetLength);
        positive("evalBatchSize", evalBatchSize);
        positive("maxDecodeSteps", maxDecodeSteps);
        positive("maxBadSteps", maxBadSteps);
        if (maxTargetLength < 2) {
            throw new SettingException("maxTargetLength", "expected ≥ 2 (a token and EOS), found " + maxTargetLength);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new SettingException("lr", "expected a positive number, found " + lr);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new SettingException("dropout", "expected [0, 1), found " + dropout);
        }
        if (microBatchSize < 0 || (microBatchSize > 0 && batchSize % microBatchSize != 0)) {
            throw new SettingException("microBatchSize", "expected 0 (off) or a divisor of the batch size "
                    + batchSize + ", found " + microBatchSize);
        }
        nonNegative("evalEvery", evalEvery);
        nonNegative("checkpointEvery", checkpointEvery);
        nonNegative("patience", patience);
        nonNegative("warmupSteps", warmupSteps);
        nonNegative("gradClip", gradClip);
    }

    /** The paper's settings (Lester et al. 2021), to change by name: {@code TrainConfig.defaults().steps(600).lr(0.03).build()}. */
    public static Builder defaults() {
        return new Builder();
    }

    /** Named settings with the paper's defaults. */
    public static final class Builder {
        private int steps = 30000;
        private int batchSize = 32;
        private int promptLength = 100;
        private String init = "labels";
        private Optimizer.Kind optimizer = Optimizer.Kind.ADAFACTOR;
        private double lr = 0.3;
        private Schedule.Kind schedule = Schedule.Kind.CONSTANT;
        private int warmupSteps = 0;
        private double weightDecay = -1;             // the optimizer's: 1e-5 Adafactor, 0.01 AdamW
        private double gradClip = 0;
        private double dropout = 0.1;
        private long seed = 42;
        private int evalEvery = 100;
        private int checkpointEvery = 100;
        private int patience = 0;
        private int maxInputLength = 512;
        private int maxTargetLength = 16;
        private int evalBatchSize = 64;
        private int maxDecodeSteps = 16;
        private boolean activationCheckpointing = false;
        private int maxBadSteps = 5;
        private int microBatchSize = 0;

        private Builder() {
        }

        public Builder steps(int v) { steps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder promptLength(int v) { promptLength = v; return this; }
        public Builder init(String v) { init = v; return this; }
        public Builder optimizer(Optimizer.Kind v) { optimizer = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder schedule(Schedule.Kind v) { schedule = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder gradClip(double v) { gradClip = v; return this; }
        public Builder dropout(double v) { dropout = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder patience(int v) { patience = v; return this; }
        public Builder maxInputLength(int v) { maxInputLength = v; return this; }
        public Builder maxTargetLength(int v) { maxTargetLength = v; return this; }
        public Builder evalBatchSize(int v) { evalBatchSize = v; return this; }
        public Builder maxDecodeSteps(int v) { maxDecodeSteps = v; return this; }
        public Builder activationCheckpointing(boolean v) { activationCheckpointing = v; return this; }
        public Builder maxBadSteps(int v) { maxBadSteps = v; return this; }
        public Builder microBatchSize(int v) { microBatchSize = v; return this; }

        /** The settings, checked ({@link SettingException} names the first bad one). */
        public TrainConfig build() {
            return new TrainConfig(steps, batchSize, promptLength, init, optimizer, lr, schedule, warmupSteps, weightDecay,
                    gradClip, dropout, seed, evalEvery, checkpointEvery, patience, maxInputLength, maxTargetLength,
                    evalBatchSize, maxDecodeSteps, activationCheckpointing, maxBadSteps, microBatchSize);
        }
    }

    public ObjectNode toJson() {
        return new ObjectMapper().valueToTree(this);
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new SettingException(name, "expected ≥ 1, found " + v);
        }
    }

    private static void nonNegative(String name, double v) {
        if (v < 0) {
            throw new SettingException(name, "expected ≥ 0, found " + v);
        }
    }
}
