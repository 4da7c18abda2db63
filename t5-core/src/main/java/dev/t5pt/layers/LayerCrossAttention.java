package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF's T5LayerCrossAttention, a decoder block's second sub-layer: out = x + drop(EncDecAttention(layer_norm(x), H_enc)).
 * Legend: B batch, T decoder length, L encoder length, D d_model, H heads, K d_kv.
 */
public record LayerCrossAttention(RmsNorm layerNorm, Attention attention) {

    /** What backward reads: the sub-layer's input and the attention's own state; and the output [B·T, D]. */
    public record Saved(INDArray x, Attention.Saved attention, INDArray out) {
    }

    /** x: [B·T, D]; encoderHidden [B·L, D], mask over its L keys; out is in buf. */
    public Saved forward(Kernels kr, Activations act, AttentionSubLayerBuffers buf, INDArray x,
                         INDArray encoderHidden, int batch, int len, int encLen, AttentionMask encoderMask,
                         Dropout probs, Dropout output) {
        INDArray c = Scratch.of(act).crossOut.get(x.size(0), x.size(1));
        Attention.Saved as = attention.forward(kr, act, buf.attention, normed(kr, act, x), encoderHidden, batch, len,
                encLen, null, encoderMask, probs, c);
        BlockDropout.apply(kr, output, c);
        return residual(kr, buf, x, as, c);
    }

    /** One generation step: x [B, D]; crossK/crossV [B·H, L, K], computed once from H_enc ({@link #projectKv}). */
    public Saved step(Kernels kr, Activations act, AttentionSubLayerBuffers buf, INDArray x, INDArray crossK,
                      INDArray crossV, int batch, AttentionMask encoderMask) {
        INDArray c = Scratch.of(act).crossOut.get(x.size(0), x.size(1));
        Attention.Saved as = attention.forwardWithKv(kr, act, buf.attention, normed(kr, act, x), crossK, crossV, batch, 1,
                null, encoderMask, Dropout.NONE, c);
        return residual(kr, buf, x, as, c);
    }

    /** The K and V of encoder output h [B·L, D] into kh, vh [B·H, L, K], once per generation. */
    public void projectKv(Kernels kr, Activations act, INDArray encoderHidden, int batch, INDArray kh, INDArray vh) {
        attention.projectKv(kr, act, encoderHidden, batch, kh, vh, 0);
    }

    /**
     * Turns dOut [B·T, D] into the gradient of x, in place, and adds the attention's contribution to
     * dEncoderHidden [B·L, D].
     */
    public void backward(Kernels kr, Activations act, Saved s, Dropout output, INDArray dOut, int batch,
                         INDArray dEncoderHidden) {
        INDArray dn = Scratch.of(act).gradNormed.get(dOut.size(0), dOut.size(1));
        INDArray dBranch = BlockDropout.branchGradient(kr, act, output, dOut);
        attention.backward(kr, act, s.attention(), dBranch, batch, dn, dEncoderHidden);
        layerNorm.backward(kr, s.x(), dn, dOut, true);   // out = x + drop(X(ln(x), H))
    }

    private INDArray normed(Kernels kr, Activations act, INDArray x) {
        INDArray n1 = Scratch.of(act).crossNormed.get(x.size(0), x.size(1));
        layerNorm.forward(kr, x, n1);
        return n1;
    }

    private static Saved residual(Kernels kr, AttentionSubLayerBuffers buf, INDArray x, Attention.Saved as,
                                  INDArray c) {
        INDArray out = buf.out.get(x.size(0), x.size(1));
        kr.add(x, c, out);
        return new Saved(x, as, out);
    }
}
