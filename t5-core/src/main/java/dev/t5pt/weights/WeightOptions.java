package dev.t5pt.weights;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How to hold a model's matrices: a format for all of them, and name patterns of matrices kept in float32
 * whatever the format (Hugging Face keeps T5's FFN output projection {@code wo} in float32 under 8-bit loading
 * because of outlier activations). A pattern matches a dot-separated component of the key: {@code wo} matches
 * {@code decoder.block.3.layer.2.DenseReluDense.wo.weight}, {@code lm_head} matches {@code lm_head.weight}.
 *
 * <p>{@link #of} keeps the token embedding {@code shared} in float32 under int8, as bitsandbytes' 8-bit loading
 * leaves embeddings unquantized: an untied embedding is only gathered, never multiplied, so holding it precisely
 * costs no speed, and it is the largest single source of int8 error on the fixtures (logits max-abs relative
 * error 7.3% → 5.7% on tiny-v1_1, 7.1% → 4.3% on tiny-lm-adapt-prompt). A tied embedding (T5 v1.0) is also the
 * LM head, read whole for every decoded token: the loader holds it as {@code lm_head} would be held.
 */
public record WeightOptions(WeightFormat format, List<String> keepF32) implements java.io.Serializable {
    public static final WeightOptions AS_STORED = new WeightOptions(WeightFormat.AS_STORED, List.of());

    public WeightOptions {
        keepF32 = List.copyOf(keepF32);   // immutable, and serializable (Spark tasks carry it)
    }

    /** The format for every matrix, the embedding kept in float32 under int8 (see above). */
    public static WeightOptions of(WeightFormat format) {
        return new WeightOptions(format, format == WeightFormat.INT8 ? List.of("shared") : List.of());
    }

    /**
     * The keep patterns that match no component of any of the given keys (a misspelt name would keep nothing),
     * in the order given.
     */
    public List<String> unmatched(Collection<String> keys) {
        return keepF32.stream()
                .filter(p -> keys.stream().noneMatch(k -> names(p, k)))
                .toList();
    }

    /**
     * Refuses keep patterns that match no component of the keys (of the weights at where): one message naming
     * them and listing the name components there.
     */
    public void requireMatches(Collection<String> keys, Object where) {
        List<String> unmatched = unmatched(keys);
        if (unmatched.isEmpty()) {
            return;
        }
        Set<String> parts = new TreeSet<>();
        for (String k : keys) {
            for (String part : k.split("\\.")) {
                if (!part.chars().allMatch(Character::isDigit) && !part.equals("weight")) {
                    parts.add(part);
                }
            }
        }
        throw new IllegalArgumentException("keep in float32: " + String.join(", ", unmatched)
                + (unmatched.size() == 1 ? " names" : " name") + " no tensor of " + where
                + " (a name is a dot-separated part of a key; there: " + String.join(", ", parts) + ")");
    }

    /** The format asked for the matrix stored under key (F32 where a keep pattern matches). */
    public WeightFormat formatOf(String key) {
        return keepF32.stream().anyMatch(p -> names(p, key)) ? WeightFormat.F32 : format;
    }

    /** Whether a keep pattern names the key: it is one of the key's dot-separated components (or several). */
    private static boolean names(String pattern, String key) {
        return ("." + key + ".").contains("." + pattern + ".");
    }
}
