package dev.t5pt.weights;

import dev.t5pt.io.DType;

import java.util.Locale;

/**
 * How a model's frozen matrices are held in memory. {@link #AS_STORED} keeps a checkpoint's own precision
 * (bfloat16 stays bfloat16, everything else is float32); the others convert at load: {@link #BF16} rounds to
 * nearest even, {@link #INT8} quantizes each output row symmetrically with a float32 scale, a few of its largest
 * weights held exactly ({@link Frozen.Int8}). Norm scales and
 * position-bias tables are always float32 (they are tiny).
 */
public enum WeightFormat {
    AS_STORED, F32, BF16, INT8;

    /** The format a matrix stored as {@code stored} is held in. */
    public WeightFormat heldAs(DType stored) {
        if (this != AS_STORED) {
            return this;
        }
        return stored == DType.BF16 ? BF16 : F32;
    }

    /** f32, bf16, int8 or as-stored (any case); the error names what was found. */
    public static WeightFormat parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "as-stored", "as stored" -> AS_STORED;
            case "f32", "float32", "fp32" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "int8", "i8" -> INT8;
            default -> throw new IllegalArgumentException("weights: expected f32, bf16, int8 or as-stored, found '" + s + "'");
        };
    }

    @Override
    public String toString() {
        return this == AS_STORED ? "as-stored" : name().toLowerCase(Locale.ROOT);
    }
}
