package dev.t5pt.tune;

import com.fasterxml.jackson.annotation.JsonValue;

/** The learning rate at each (0-based) step. */
public sealed interface Schedule {
    double at(long step);

    /** The paper's: a constant rate (0.3 with Adafactor). */
    record Constant(double lr) implements Schedule {
        @Override
        public double at(long step) {
            return lr;
        }
    }

    /** Linear warm-up over {@code warmup} steps, then linear decay to 0 at {@code total}. */
    record WarmupLinearDecay(double lr, long warmup, long total) implements Schedule {
        @Override
        public double at(long step) {
            if (step < warmup) {
                return lr * (step + 1) / warmup;
            }
            return lr * Math.max(0, (double) (total - step) / Math.max(1, total - warmup));
        }
    }

    /** Linear warm-up, then lr·√(warmup/step) (T5's inverse square root). */
    record WarmupRsqrt(double lr, long warmup) implements Schedule {
        @Override
        public double at(long step) {
            if (step < warmup) {
                return lr * (step + 1) / warmup;
            }
            return lr * Math.sqrt((double) warmup / Math.max(1, step));
        }
    }

    /** The schedules a run can name. */
    enum Kind {
        /** The paper's: a constant rate. */
        CONSTANT("constant"),
        /** Linear warm-up, then linear decay to 0 at the last step. */
        LINEAR("linear"),
        /** Linear warm-up, then T5's inverse square root. */
        RSQRT("rsqrt");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        /** The name runs and run records use. */
        @JsonValue
        public String id() {
            return id;
        }

        /** The schedule of peak rate lr, warm-up steps (at least 1 where it warms up) and total steps. */
        public Schedule create(double lr, long warmup, long total) {
            return switch (this) {
                case CONSTANT -> new Constant(lr);
                case LINEAR -> new WarmupLinearDecay(lr, Math.max(1, warmup), total);
                case RSQRT -> new WarmupRsqrt(lr, Math.max(1, warmup));
            };
        }

        /** By name: constant, linear or rsqrt. */
        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.id.equals(name)) {
                    return k;
                }
            }
            throw new SettingException("schedule", "expected constant, linear or rsqrt, found \"" + name + "\"");
        }
    }
}
