package dev.t5pt.cli;

import dev.t5pt.model.T5Model;
import dev.t5pt.weights.WeightFormat;
import dev.t5pt.weights.WeightOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** --weights and --keep-f32, shared by every command that loads a model (a picocli mixin). */
final class WeightsOption {
    @Option(names = "--weights", paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "hold the frozen matrices as f32, bf16 (memory-mapped when the file stores bf16) or int8 "
                    + "(per-row symmetric, f32 scales), or as-stored (the default: a bf16 file stays bf16, others f32)")
    WeightFormat format = WeightFormat.AS_STORED;

    @Option(names = "--keep-f32", paramLabel = "NAME", split = ",",
            description = "matrices kept in f32 whatever --weights says, by a component of their name, or none "
                    + "(e.g. wo,lm_head: Hugging Face keeps wo in f32 under 8-bit loading; default: shared, an "
                    + "untied token embedding, under int8, nothing otherwise; a tied one is held as lm_head)")
    List<String> keepF32;

    WeightOptions options() {
        return options(format, keepF32);
    }

    /** The options for a format and the --keep-f32 names as given (null: the format's default; "none": nothing). */
    static WeightOptions options(WeightFormat format, List<String> keepF32) {
        if (keepF32 == null) {
            return WeightOptions.of(format);
        }
        return new WeightOptions(format, keepF32.stream().filter(k -> !k.equals("none") && !k.isEmpty()).toList());
    }

    T5Model load(Path model) throws IOException {
        return T5Model.load(model, options());
    }

    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<WeightFormat> {
        @Override
        public WeightFormat convert(String value) {
            try {
                return WeightFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("expected f32, bf16, int8 or as-stored, found '" + value + "'");
            }
        }
    }
}
