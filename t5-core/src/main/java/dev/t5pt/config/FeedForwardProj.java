package dev.t5pt.config;

/**
 * The feed-forward variant named by HF's {@code feed_forward_proj}: T5 v1.0 uses a ReLU MLP
 * ({@code DenseReluDense}: wi, wo); T5 v1.1 and the LM-adapted checkpoints a gated tanh-GELU
 * ({@code DenseGatedActDense}: wi_0, wi_1, wo with gelu_new).
 */
public enum FeedForwardProj {
    RELU("relu"),
    GATED_GELU("gated-gelu");

    private final String hfName;

    FeedForwardProj(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** Parses HF's value; HF maps "gated-gelu" to gelu_new, and so do we. */
    public static FeedForwardProj parse(String value) {
        for (FeedForwardProj p : values()) {
            if (p.hfName.equals(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("feed_forward_proj: expected \"relu\" or \"gated-gelu\", found \""
                + value + "\"");
    }
}
