package dev.t5pt.tune;

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

    /** By name: constant, linear (warm-up then linear decay) or rsqrt. */
    static Schedule parse(String name, double lr, long warmup, long total) {
        return switch (name) {
            case "constant" -> new Constant(lr);
            case "linear" -> new WarmupLinearDecay(lr, Math.max(1, warmup), total);
            case "rsqrt" -> new WarmupRsqrt(lr, Math.max(1, warmup));
            default -> throw new SettingException("schedule", "expected constant, linear or rsqrt, found \"" + name + "\"");
        };
    }
}
