package dev.t5pt.tune;

import java.util.Map;

/**
 * Updates the prompt (as a flat float array [P·d] with its shape) from its gradient. State is plain
 * arrays so checkpoints can store it exactly and a resumed run continues bit for bit.
 */
public sealed interface Optimizer permits Adafactor, AdamW {

    /** One update: param ← param − lr·update(grad) (and the optimizer's weight decay). */
    void step(float[] param, float[] grad, int rows, int cols, double lr);

    /** The state to checkpoint, by name. */
    Map<String, double[]> state();

    /** Restores {@link #state()}; throws when names or sizes do not match. */
    void restore(Map<String, double[]> state);

    String name();

    /** Parses the name: adafactor (the paper's settings) or adamw; a negative weight decay means the default. */
    static Optimizer parse(String name, double weightDecay) {
        double wd = weightDecay < 0 ? defaultWeightDecay(name) : weightDecay;
        return switch (name) {
            case "adafactor" -> new Adafactor(0.8, 1e-30, 1.0, wd);
            case "adamw" -> new AdamW(0.9, 0.999, 1e-8, wd);
            default -> throw unknown(name);
        };
    }

    /** The weight decay each optimizer uses unless told: 1e-5 for Adafactor (the paper's), 0.01 for AdamW. */
    static double defaultWeightDecay(String name) {
        return switch (name) {
            case "adafactor" -> 1e-5;
            case "adamw" -> 0.01;
            default -> throw unknown(name);
        };
    }

    private static SettingException unknown(String name) {
        return new SettingException("optimizer", "expected adafactor or adamw, found \"" + name + "\"");
    }
}
