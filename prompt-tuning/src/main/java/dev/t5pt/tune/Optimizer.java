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

    /** Parses the CLI form: adafactor (the paper's settings) or adamw. */
    static Optimizer parse(String name, double weightDecay) {
        return switch (name) {
            case "adafactor" -> new Adafactor(0.8, 1e-30, 1.0, weightDecay < 0 ? 1e-5 : weightDecay);
            case "adamw" -> new AdamW(0.9, 0.999, 1e-8, weightDecay < 0 ? 0.01 : weightDecay);
            default -> throw new IllegalArgumentException("--optimizer: expected adafactor or adamw, found \"" + name + "\"");
        };
    }
}
