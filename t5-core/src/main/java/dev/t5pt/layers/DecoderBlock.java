package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One decoder block (HF: layer.0 T5LayerSelfAttention, layer.1 T5LayerCrossAttention, layer.2 T5LayerFF),
 * pre-norm residual: mid = x + drop(SelfAttention(ln₀(x))) [causal]; cross = mid + drop(EncDecAttention(ln₁(mid),
 * H_enc)); out = LayerFF(cross) = cross + drop(FFN(ln₂(cross))). Legend: B batch, T decoder length, L encoder
 * length, D d_model.
 */
public record DecoderBlock(LayerSelfAttention layerSelfAttention, LayerCrossAttention layerCrossAttention, LayerFF layerFF) {

    /** What backward reads, and the block's output. */
    public record Saved(LayerSelfAttention.Saved self, LayerCrossAttention.Saved cross, LayerFF.Saved ff,
                        BlockDropout dropout) {
        public INDArray out() {
            return ff.out();
        }
    }

    /** What one decoder block keeps: its three sub-layers'. */
    public static final class Buffers {
        final AttentionSubLayerBuffers self;
        final AttentionSubLayerBuffers cross;
        final LayerFF.Buffers ff;

        public Buffers(Activations act) {
            self = new AttentionSubLayerBuffers(act);
            cross = new AttentionSubLayerBuffers(act);
            ff = new LayerFF.Buffers(act);
        }

        /** The block's output as last computed (a view of its buffer), or null. */
        public INDArray out() {
            return ff.out.peek();
        }
    }

    /**
     * Teacher-forced: x [B·T, D]; encoderHidden [B·L, D]; selfBias [H, T, T]; encoderMask over the L keys.
     * out is in buf (so it may be x when buf is shared by the blocks).
     */
    public Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, int batch, int len,
                         INDArray encoderHidden, int encLen, INDArray selfBias, AttentionMask encoderMask,
                         BlockDropout dropout) {
        LayerSelfAttention.Saved self = layerSelfAttention.forward(kr, act, buf.self, x, batch, len, selfBias,
                new AttentionMask.Causal(0), dropout.selfProbs(), dropout.selfOut());
        LayerCrossAttention.Saved cross = layerCrossAttention.forward(kr, act, buf.cross, self.out(), encoderHidden, batch, len,
                encLen, encoderMask, dropout.crossProbs(), dropout.crossOut());
        LayerFF.Saved fs = layerFF.forward(kr, act, buf.ff, cross.out(), dropout.ffHidden(), dropout.ffOut());
        return new Saved(self, cross, fs, dropout);
    }

    /**
     * Inverts the block: turns dOut [B·T, D] into the gradient of its input, in place, and adds the
     * cross-attention's contribution to dEncoderHidden [B·L, D].
     */
    public void backward(Kernels kr, Activations act, Saved s, INDArray dOut, int batch,
                         INDArray dEncoderHidden) {
        BlockDropout dr = s.dropout();
        layerFF.backward(kr, act, s.ff(), dr.ffHidden(), dr.ffOut(), dOut);                         // dOut is now dcross
        layerCrossAttention.backward(kr, act, s.cross(), dr.crossOut(), dOut, batch, dEncoderHidden); // now dmid
        layerSelfAttention.backward(kr, act, s.self(), dr.selfOut(), dOut, batch);                  // now dx
    }

    /**
     * One generation step at position t with caches: x [B, D] (the new token); selfK/selfV [B·H, Tmax, K]
     * receive this position's K/V at row t; crossK/crossV [B·H, L, K] were computed once from H_enc;
     * selfBias [H, 1, Tmax] for query position t. Returns out [B, D].
     */
    public INDArray step(Kernels kr, Activations act, Buffers buf, INDArray x, int batch, int t, INDArray selfK,
                         INDArray selfV, INDArray crossK, INDArray crossV, INDArray selfBias,
                         AttentionMask encoderMask) {
        LayerSelfAttention.Saved self = layerSelfAttention.step(kr, act, buf.self, x, selfK, selfV, batch, t, selfBias);
        LayerCrossAttention.Saved cross = layerCrossAttention.step(kr, act, buf.cross, self.out(), crossK, crossV, batch,
                encoderMask);
        return layerFF.forward(kr, act, buf.ff, cross.out(), BlockDropout.NONE.ffHidden(), BlockDropout.NONE.ffOut()).out();
    }

    /** The cross-attention K and V of encoder output h [B·L, D] into kh, vh [B·H, L, K], once per generation. */
    public void crossKv(Kernels kr, Activations act, INDArray encoderHidden, int batch, INDArray kh,
                        INDArray vh) {
        layerCrossAttention.projectKv(kr, act, encoderHidden, batch, kh, vh);
    }

    /** Bytes held by the block's projections. */
    public long heldBytes() {
        return layerSelfAttention.attention().heldBytes() + layerCrossAttention.attention().heldBytes()
                + layerFF.ff().heldBytes();
    }
}
