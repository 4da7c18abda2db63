package dev.t5pt.convert;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mesh-TensorFlow T5 variable names (Google's original T5 and T5 1.1 / LM-adapted checkpoints) → HF names.
 * Mesh-TF stores kernels [in, out] and position biases [heads, buckets]; HF stores [out, in] and
 * [buckets, heads], so those are transposed. Optimizer state and counters are skipped with the reason.
 */
final class MeshTfNames {
    /** Where a Mesh-TF variable goes, or why it does not. */
    record Mapping(String hfName, boolean transpose, String skipReason) {
        static Mapping to(String hf, boolean transpose) {
            return new Mapping(hf, transpose, null);
        }

        static Mapping skip(String why) {
            return new Mapping(null, false, why);
        }
    }

    private static final Pattern BLOCK = Pattern.compile(
            "(encoder|decoder)/block_(\\d{3})/layer_(\\d{3})/(.+)");
    private static final Pattern ATTENTION = Pattern.compile("(SelfAttention|EncDecAttention)/(q|k|v|o|relative_attention_bias)");
    private static final Pattern FFN = Pattern.compile("DenseReluDense/(wi|wi_0|wi_1|wo)/kernel");

    private MeshTfNames() {
    }

    static Mapping map(String name) {
        if (name.matches(".*_slot_(v|vc|vr|m)") || name.matches(".*/(Adam|Adam_1|Adafactor.*)")) {
            return Mapping.skip("optimizer slot");
        }
        if (name.equals("global_step")) {
            return Mapping.skip("training step counter");
        }
        switch (name) {
            case "shared/embedding" -> {
                return Mapping.to("shared.weight", false);
            }
            case "decoder/logits/kernel" -> {
                return Mapping.to("lm_head.weight", true);
            }
            case "encoder/rms_norm/scale", "encoder/final_layer_norm/scale", "encoder/layer_norm/scale" -> {
                return Mapping.to("encoder.final_layer_norm.weight", false);
            }
            case "decoder/rms_norm/scale", "decoder/final_layer_norm/scale", "decoder/layer_norm/scale" -> {
                return Mapping.to("decoder.final_layer_norm.weight", false);
            }
            default -> {
            }
        }
        Matcher b = BLOCK.matcher(name);
        if (!b.matches()) {
            return Mapping.skip("not a Mesh-TF T5 weight");
        }
        String prefix = b.group(1) + ".block." + Integer.parseInt(b.group(2)) + ".layer." + Integer.parseInt(b.group(3)) + ".";
        String rest = b.group(4);
        if (rest.equals("rms_norm/scale") || rest.equals("layer_norm/scale")) {
            return Mapping.to(prefix + "layer_norm.weight", false);
        }
        Matcher a = ATTENTION.matcher(rest);
        if (a.matches()) {
            return Mapping.to(prefix + a.group(1) + "." + a.group(2) + ".weight", true);
        }
        Matcher f = FFN.matcher(rest);
        if (f.matches()) {
            return Mapping.to(prefix + "DenseReluDense." + f.group(1) + ".weight", true);
        }
        return Mapping.skip("not a Mesh-TF T5 weight");
    }
}
