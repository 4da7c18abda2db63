package dev.t5pt.kernels;

/**
 * Which keys a query may attend to. Variants are exclusive: the encoder and cross-attention mask padded
 * keys, the decoder's self-attention is causal (HF never combines the two for T5's decoder without a
 * decoder_attention_mask).
 */
public sealed interface AttentionMask {

    /** Every key is visible. */
    record None() implements AttentionMask {
    }

    /**
     * Padded keys are invisible. {@code additive} is [B·Lk] laid out row by row: 0 for a real key and
     * −∞ for padding. A row whose keys are all padding attends uniformly to all keys, as HF's
     * finfo.min-additive mask does (no NaN).
     */
    record KeyPadding(float[] additive, int keys) implements AttentionMask {
        public static KeyPadding of(int[][] mask) {
            int b = mask.length;
            int lk = mask[0].length;
            float[] add = new float[b * lk];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < lk; j++) {
                    add[i * lk + j] = mask[i][j] != 0 ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
            return new KeyPadding(add, lk);
        }

        public boolean visible(int batchRow, int key) {
            return additive[batchRow * keys + key] == 0f;
        }
    }

    /** Query i (counted from {@code queryOffset}) sees keys 0..i+queryOffset. */
    record Causal(int queryOffset) implements AttentionMask {
    }

    AttentionMask NONE = new None();
}
