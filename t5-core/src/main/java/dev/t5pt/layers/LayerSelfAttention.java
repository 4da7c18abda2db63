package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF's T5LayerSelfAttention, the first sub-layer of every block: out = x + drop(SelfAttention(layer_norm(x))).
 * Legend: B batch, L length, D d_model, H heads, K d_kv.
 */
public record LayerSelfAttention(RmsNorm layerNorm, Attention attention) {

    /** What backward reads: the sub-layer's input and the attention's own state; and the output [B·L, D]. */
    public record Saved(INDArray x, Attention.Saved attention, INDArray out) {
    }

    /** x: [B·L, D]; bias: [H, L, L] or null; out is in buf (which may be x's when buf is shared). */
    public Saved forward(Kernels kr, Activations act, AttentionSubLayerBuffers buf, INDArray x, int batch, int len,
                         INDArray bias, AttentionMask mask, Dropout probs, Dropout output) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray normed = Scratch.of(act).normed.get(n, d);
        layerNorm.forward(kr, x, normed);
        INDArray a = Scratch.of(act).attnOut.get(n, d);
        Attention.Saved as = attention.forward(kr, act, buf.attention, normed, normed, batch, len, len, bias, mask, probs, a);
        BlockDropout.apply(kr, output, a);
        INDArray out = buf.out.get(n, d);
        kr.add(x, a, out);
        return new Saved(x, as, out);
    }

    /**
     * One generation step at position t: x [B, D]; selfK/selfV [B·H, Tmax, K] receive this position's K/V at row t;
     * bias [H, 1, Tmax]. No dropout (generation).
     */
    public Saved step(Kernels kr, Activations act, AttentionSubLayerBuffers buf, INDArray x, INDArray selfK,
                      INDArray selfV, int batch, int t, INDArray bias) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray normed = Scratch.of(act).normed.get(n, d);
        layerNorm.forward(kr, x, normed);
        INDArray a = Scratch.of(act).attnOut.get(n, d);
        Attention.Saved as = attention.forwardStep(kr, act, buf.attention, normed, selfK, selfV, batch, t, bias,
                new AttentionMask.Causal(t), a);
        INDArray out = buf.out.get(n, d);
        kr.add(x, a, out);
        return new Saved(x, as, out);
    }

    /** Turns dOut [B·L, D] into the gradient of x, in place (the residual carries dOut on unchanged). */
    public void backward(Kernels kr, Activations act, Saved s, Dropout output, INDArray dOut, int batch) {
        INDArray dn = Scratch.of(act).gradNormed.get(dOut.size(0), dOut.size(1));
        INDArray dBranch = BlockDropout.branchGradient(kr, act, output, dOut);
        attention.backward(kr, act, s.attention(), dBranch, batch, dn, dn); // out = x + drop(Attn(ln(x)))
        layerNorm.backward(kr, s.x(), dn, dOut, true);
    }
}
