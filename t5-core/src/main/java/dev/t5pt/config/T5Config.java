package dev.t5pt.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The architecture of one T5 model, as in Hugging Face's {@code config.json}. Immutable; validated on
 * construction. Missing fields take HF's {@code T5Config} defaults (original t5-small configs lack
 * feed_forward_proj, tie_word_embeddings, num_decoder_layers and relative_attention_max_distance).
 */
public record T5Config(
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numDecoderLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        double dropoutRate,
        double layerNormEpsilon,
        FeedForwardProj feedForwardProj,
        boolean tieWordEmbeddings,
        int padTokenId,
        int eosTokenId,
        int decoderStartTokenId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public T5Config {
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_layers", numLayers);
        positive("num_decoder_layers", numDecoderLayers);
        positive("num_heads", numHeads);
        positive("relative_attention_num_buckets", relativeAttentionNumBuckets);
        positive("relative_attention_max_distance", relativeAttentionMaxDistance);
        if (!(dropoutRate >= 0 && dropoutRate < 1)) {
            throw new IllegalArgumentException("dropout_rate: expected a value in [0, 1), found " + dropoutRate);
        }
        if (!(layerNormEpsilon > 0)) {
            throw new IllegalArgumentException("layer_norm_epsilon: expected > 0, found " + layerNormEpsilon);
        }
        if (feedForwardProj == null) {
            throw new IllegalArgumentException("feed_forward_proj: missing");
        }
        tokenId("pad_token_id", padTokenId, vocabSize);
        tokenId("eos_token_id", eosTokenId, vocabSize);
        tokenId("decoder_start_token_id", decoderStartTokenId, vocabSize);
    }

    /** Width of the attention's concatenated heads, num_heads × d_kv. */
    public int innerDim() {
        return numHeads * dKv;
    }

    /** Google's t5-small (T5 v1.0, 60M parameters). */
    public static T5Config t5Small() {
        return new T5Config(32128, 512, 64, 2048, 6, 6, 8, 32, 128, 0.1, 1e-6,
                FeedForwardProj.RELU, true, 0, 1, 0);
    }

    /** google/t5-base-lm-adapt (T5 1.1 LM-adapted base, the paper's frozen model at 250M). */
    public static T5Config t5BaseLmAdapt() {
        return lmAdapt(768, 2048, 12, 12);
    }

    /** google/t5-large-lm-adapt (T5 1.1 LM-adapted large, 780M). */
    public static T5Config t5LargeLmAdapt() {
        return lmAdapt(1024, 2816, 24, 16);
    }

    /** google/t5-xl-lm-adapt (T5 1.1 LM-adapted XL, 3B). */
    public static T5Config t5XlLmAdapt() {
        return lmAdapt(2048, 5120, 24, 32);
    }

    /** google/t5-xxl-lm-adapt (T5 1.1 LM-adapted XXL, 11B: the paper's headline size). */
    public static T5Config t5XxlLmAdapt() {
        return lmAdapt(4096, 10240, 24, 64);
    }

    /** A T5 1.1 LM-adapted shape: gated GELU, untied head, d_kv 64, T5's vocabulary and position buckets. */
    private static T5Config lmAdapt(int dModel, int dFf, int layers, int heads) {
        return new T5Config(32128, dModel, 64, dFf, layers, layers, heads, 32, 128, 0.1, 1e-6,
                FeedForwardProj.GATED_GELU, false, 0, 1, 0);
    }

    /** Reads {@code config.json}; every problem is reported with the file name. */
    public static T5Config load(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "model config not found (expected a HF config.json)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var at = e.getLocation();
            throw new IOException(file + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr())
                    + ": not valid JSON: " + e.getOriginalMessage());
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Builds a config from a parsed HF config object, applying HF's defaults. */
    public static T5Config fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        String modelType = root.path("model_type").asText("t5");
        if (!modelType.equals("t5")) {
            throw new IllegalArgumentException("model_type: expected \"t5\", found \"" + modelType + "\"");
        }
        int numLayers = intField(root, "num_layers", 6);
        int pad = intField(root, "pad_token_id", 0);
        return new T5Config(
                intField(root, "vocab_size", 32128),
                intField(root, "d_model", 512),
                intField(root, "d_kv", 64),
                intField(root, "d_ff", 2048),
                numLayers,
                intField(root, "num_decoder_layers", numLayers),
                intField(root, "num_heads", 8),
                intField(root, "relative_attention_num_buckets", 32),
                intField(root, "relative_attention_max_distance", 128),
                doubleField(root, "dropout_rate", 0.1),
                doubleField(root, "layer_norm_epsilon", 1e-6),
                FeedForwardProj.parse(textField(root, "feed_forward_proj", "relu")),
                boolField(root, "tie_word_embeddings", true),
                pad,
                intField(root, "eos_token_id", 1),
                intField(root, "decoder_start_token_id", pad));
    }

    /** The HF {@code config.json} form of this config. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("T5ForConditionalGeneration");
        o.put("model_type", "t5");
        o.put("vocab_size", vocabSize);
        o.put("d_model", dModel);
        o.put("d_kv", dKv);
        o.put("d_ff", dFf);
        o.put("num_layers", numLayers);
        o.put("num_decoder_layers", numDecoderLayers);
        o.put("num_heads", numHeads);
        o.put("relative_attention_num_buckets", relativeAttentionNumBuckets);
        o.put("relative_attention_max_distance", relativeAttentionMaxDistance);
        o.put("dropout_rate", dropoutRate);
        o.put("layer_norm_epsilon", layerNormEpsilon);
        o.put("feed_forward_proj", feedForwardProj.hfName());
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("is_encoder_decoder", true);
        o.put("pad_token_id", padTokenId);
        o.put("eos_token_id", eosTokenId);
        o.put("decoder_start_token_id", decoderStartTokenId);
        return o;
    }

    /** Writes the HF {@code config.json} form. */
    public void save(Path file) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }

    private static int intField(JsonNode root, String name, int dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(name + ": expected an integer, found " + n);
        }
        return n.intValue();
    }

    private static double doubleField(JsonNode root, String name, double dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(name + ": expected a number, found " + n);
        }
        return n.doubleValue();
    }

    private static boolean boolField(JsonNode root, String name, boolean dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(name + ": expected true or false, found " + n);
        }
        return n.booleanValue();
    }

    private static String textField(JsonNode root, String name, String dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(name + ": expected a string, found " + n);
        }
        return n.textValue();
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": expected a positive integer, found " + value);
        }
    }

    private static void tokenId(String name, int value, int vocabSize) {
        if (value < 0 || value >= vocabSize) {
            throw new IllegalArgumentException(name + ": expected an id in [0, " + vocabSize + "), found " + value);
        }
    }
}
