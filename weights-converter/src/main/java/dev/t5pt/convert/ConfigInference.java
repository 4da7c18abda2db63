package dev.t5pt.convert;

import dev.t5pt.config.FeedForwardProj;
import dev.t5pt.config.T5Config;

import java.util.Map;

/**
 * A T5 config read off the tensor shapes of a checkpoint (in HF names and layout), with what shapes cannot
 * say (activation, epsilon, dropout, maximum distance) from a gin file when there is one, else from T5's
 * conventions. Every gin value that shapes also determine must agree with them.
 */
final class ConfigInference {
    private ConfigInference() {
    }

    static T5Config infer(Map<String, long[]> shapes, GinConfig gin, String where) throws ConvertException {
        long[] shared = need(shapes, "shared.weight", where);
        long[] q = need(shapes, "encoder.block.0.layer.0.SelfAttention.q.weight", where);
        long[] bias = need(shapes, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", where);
        boolean gated = shapes.containsKey("encoder.block.0.layer.1.DenseReluDense.wi_0.weight");
        long[] wo = need(shapes, "encoder.block.0.layer.1.DenseReluDense.wo.weight", where);
        int vocab = (int) shared[0];
        int dModel = (int) shared[1];
        int heads = (int) bias[1];
        int buckets = (int) bias[0];
        int inner = (int) q[0];
        if (heads <= 0 || inner % heads != 0) {
            throw new ConvertException(where + ": attention width " + inner + " is not a multiple of " + heads + " heads");
        }
        int dKv = inner / heads;
        int dFf = (int) wo[1];
        int layers = count(shapes, "encoder");
        int decoderLayers = count(shapes, "decoder");
        boolean tied = !shapes.containsKey("lm_head.weight");
        FeedForwardProj proj = gated ? FeedForwardProj.GATED_GELU : FeedForwardProj.RELU;
        int maxDistance = 128;
        double eps = 1e-6;
        double dropout = 0.1;
        if (gin != null) {
            agree(gin, "d_model", dModel);
            agree(gin, "d_ff", dFf);
            agree(gin, "d_kv", dKv);
            agree(gin, "num_heads", heads);
            agree(gin, "num_layers", layers);
            String act = gin.get("DenseReluDense.activation");
            if (act != null) {
                String a = act.replace(" ", "").replace('"', '\'');
                boolean gelu = a.equals("['gelu','linear']") || a.equals("('gelu','linear')");
                boolean relu = a.equals("'relu'");
                if (gated && !gelu || !gated && !relu) {
                    throw new ConvertException(gin.file() + ": DenseReluDense.activation = " + act + " with a "
                            + (gated ? "gated (wi_0/wi_1)" : "plain (wi)") + " feed-forward; t5pt supports ['gelu', 'linear']"
                            + " gated and 'relu' plain");
                }
            }
            Long md = gin.integer("relative_attention_max_distance");
            maxDistance = md == null ? maxDistance : md.intValue();
            Double e = gin.number("epsilon");
            eps = e == null ? eps : e;
            Double dr = gin.number("dropout_rate");
            dropout = dr == null ? dropout : dr;
        }
        try {
            return new T5Config(vocab, dModel, dKv, dFf, layers, decoderLayers, heads, buckets, maxDistance, dropout, eps,
                    proj, tied, 0, 1, 0);
        } catch (IllegalArgumentException e) {
            throw new ConvertException(where + ": the inferred config is invalid: " + e.getMessage());
        }
    }

    private static void agree(GinConfig gin, String key, long fromShapes) throws ConvertException {
        Long v = gin.integer(key);
        if (v != null && v != fromShapes) {
            throw new ConvertException(gin.file() + ": " + key + " = " + v + " but the checkpoint's tensor shapes say "
                    + fromShapes);
        }
    }

    private static int count(Map<String, long[]> shapes, String side) {
        int n = 0;
        while (shapes.containsKey(side + ".block." + n + ".layer.0.SelfAttention.q.weight")) {
            n++;
        }
        return n;
    }

    private static long[] need(Map<String, long[]> shapes, String key, String where) throws ConvertException {
        long[] s = shapes.get(key);
        if (s == null) {
            throw new ConvertException(where + ": cannot infer a T5 config: no tensor maps to '" + key
                    + "' (is this a T5 checkpoint?); pass --config config.json");
        }
        return s;
    }
}
