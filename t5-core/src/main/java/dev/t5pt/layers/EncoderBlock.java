package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One encoder block (HF: layer.0 = T5LayerSelfAttention, layer.1 = T5LayerFF), pre-norm residual:
 * mid = x + drop(SelfAttention(layer_norm₀(x))); out = LayerFF(mid) = mid + drop(FFN(layer_norm₁(mid))).
 * Legend: B batch, L length, D d_model.
 */
public record EncoderBlock(LayerSelfAttention layerSelfAttention, LayerFF layerFF) {

    /** What backward reads, and the block's output. All [B·L, D] except the attention's and FFN's own. */
    public record Saved(LayerSelfAttention.Saved self, LayerFF.Saved ff, BlockDropout dropout) {
        public INDArray out() {
            return ff.out();
        }
    }

    /** What one encoder block keeps: its two sub-layers'. */
    public static final class Buffers {
        final AttentionSubLayerBuffers self;
        final LayerFF.Buffers ff;

        public Buffers(Activations act) {
            self = new AttentionSubLayerBuffers(act);
            ff = new LayerFF.Buffers(act);
        }

        /** The block's output as last computed (a view of its buffer), or null. */
        public INDArray out() {
            return ff.out.peek();
        }
    }

    /**
     * x: [B·L, D]; bias: [H, L, L]; out is in buf (so it may be x when buf is shared by the blocks).
     * {@code dropout} holds this block's sites (none in eval mode).
     */
    public Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, int batch, int len, INDArray bias,
                         AttentionMask mask, BlockDropout dropout) {
        LayerSelfAttention.Saved self = layerSelfAttention.forward(kr, act, buf.self, x, batch, len, bias, mask,
                dropout.selfProbs(), dropout.selfOut());
        LayerFF.Saved fs = layerFF.forward(kr, act, buf.ff, self.out(), dropout.ffHidden(), dropout.ffOut());
        return new Saved(self, fs, dropout);
    }

    /** Turns dOut [B·L, D] into the gradient of the block's input, in place. */
    public void backward(Kernels kr, Activations act, Saved s, INDArray dOut, int batch) {
        layerFF.backward(kr, act, s.ff(), s.dropout().ffHidden(), s.dropout().ffOut(), dOut);   // out = LayerFF(mid)
        layerSelfAttention.backward(kr, act, s.self(), s.dropout().selfOut(), dOut, batch);    // mid = x + drop(Attn(ln₀(x)))
    }

    /** Bytes held by the block's projections. */
    public long heldBytes() {
        return layerSelfAttention.attention().heldBytes() + layerFF.ff().heldBytes();
    }
}
