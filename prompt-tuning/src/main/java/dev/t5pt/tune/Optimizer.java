package dev.t5pt.tune;

import com.fasterxml.jackson.annotation.JsonValue;

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

    /** The optimizers a run can name, each with its default weight decay. */
    enum Kind {
        /** The paper's: Adafactor with decay 0.8, update clipping 1.0, weight decay 1e-5. */
        ADAFACTOR("adafactor", 1e-5),
        /** AdamW (0.9, 0.999, ε 1e-8), weight decay 0.01. */
        ADAMW("adamw", 0.01);

        private final String id;
        private final double defaultWeightDecay;

        Kind(String id, double defaultWeightDecay) {
            this.id = id;
            this.defaultWeightDecay = defaultWeightDecay;
        }

        /** The name runs and run records use. */
        @JsonValue
        public String id() {
            return id;
        }

        public double defaultWeightDecay() {
            return defaultWeightDecay;
        }

        /** A fresh optimizer of this kind; a negative weight decay means the default. */
        public Optimizer create(double weightDecay) {
            double wd = weightDecay < 0 ? defaultWeightDecay : weightDecay;
            return switch (this) {
                case ADAFACTOR -> new Adafactor(0.8, 1e-30, 1.0, wd);
                case ADAMW -> new AdamW(0.9, 0.999, 1e-8, wd);
            };
        }

        /** By name: adafactor or adamw. */
        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.id.equals(name)) {
                    return k;
                }
            }
            throw new SettingException("optimizer", "expected adafactor or adamw, found \"" + name + "\"");
        }
    }
}
