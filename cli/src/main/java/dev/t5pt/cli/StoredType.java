package dev.t5pt.cli;

import dev.t5pt.io.DType;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.util.Locale;

/** The --dtype a command writes tensors in: f32, bf16 or f16 (float32, bfloat16, float16). */
final class StoredType {
    private StoredType() {
    }

    static DType parse(CommandLine cl, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16" -> DType.F16;
            default -> throw new ParameterException(cl, "--dtype: expected f32, bf16 or f16, found '" + value + "'");
        };
    }
}
