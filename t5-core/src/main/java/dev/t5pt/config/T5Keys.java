package dev.t5pt.config;


import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors a T5 of a given config reads, in HF names and layout ([out, in] for linear layers), with their
 * shapes. The converter checks its output against this, the random-model writer writes it; a test holds it equal to what the loader asks for.
 */
public final class T5Keys {
    private T5Keys() {
    }

    public static Map<String, long[]> expected(T5Config c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dModel();
        long inner = c.innerDim();
        m.put("shared.weight", new long[]{c.vocabSize(), d});
        stack(m, c, "encoder", c.numLayers(), false);
        stack(m, c, "decoder", c.numDecoderLayers(), true);
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new long[]{c.vocabSize(), d});
        }
        return m;
    }

    private static void stack(Map<String, long[]> m, T5Config c, String side, int layers, boolean decoder) {
        long d = c.dModel();
        for (int i = 0; i < layers; i++) {
            String b = side + ".block." + i + ".layer.";
            attention(m, c, b + "0.SelfAttention.", i == 0);
            m.put(b + "0.layer_norm.weight", new long[]{d});
            int ff = 1;
            if (decoder) {
                attention(m, c, b + "1.EncDecAttention.", false);
                m.put(b + "1.layer_norm.weight", new long[]{d});
                ff = 2;
            }
            String f = b + ff + ".DenseReluDense.";
            if (c.feedForwardProj() == FeedForwardProj.GATED_GELU) {
                m.put(f + "wi_0.weight", new long[]{c.dFf(), d});
                m.put(f + "wi_1.weight", new long[]{c.dFf(), d});
            } else {
                m.put(f + "wi.weight", new long[]{c.dFf(), d});
            }
            m.put(f + "wo.weight", new long[]{d, c.dFf()});
            m.put(b + ff + ".layer_norm.weight", new long[]{d});
        }
        m.put(side + ".final_layer_norm.weight", new long[]{d});
    }

    private static void attention(Map<String, long[]> m, T5Config c, String p, boolean bias) {
        long d = c.dModel();
        long inner = c.innerDim();
        for (String x : new String[]{"q", "k", "v"}) {
            m.put(p + x + ".weight", new long[]{inner, d});
        }
        m.put(p + "o.weight", new long[]{d, inner});
        if (bias) {
            m.put(p + "relative_attention_bias.weight", new long[]{c.relativeAttentionNumBuckets(), c.numHeads()});
        }
    }
}
