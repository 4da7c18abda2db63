package dev.t5pt.layers;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Buffer;

/**
 * What an attention sub-layer ({@link LayerSelfAttention}, {@link LayerCrossAttention}) keeps: its attention's
 * buffers and its output x + drop(attention) [N, D].
 */
public final class AttentionSubLayerBuffers {
    final Attention.Buffers attention;
    final Buffer out;

    public AttentionSubLayerBuffers(Activations act) {
        attention = new Attention.Buffers(act);
        out = act.buffer();
    }
}
