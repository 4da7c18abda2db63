package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One encoder block (HF: layer.0 = SelfAttention, layer.1 = DenseReluDense), pre-norm residual:
 * mid = x + SelfAttention(layer_norm₀(x)); out = mid + FFN(layer_norm₁(mid)). Legend: B batch, L length, D d_model.
 */
public record EncoderBlock(RmsNorm layerNorm0, Attention selfAttention, RmsNorm layerNorm1, FeedForward ff) {

    /** What backward reads, and the block's output. All [B·L, D] except the attention's and FFN's own. */
    public record Saved(INDArray x, Attention.Saved attention, INDArray mid, FeedForward.Saved ff, INDArray out) {
    }

    /** x: [B·L, D]; bias: [H, L, L]; out is buffer scope.out (which may alias x when scopes are shared). */
    public Saved forward(Kernels kr, Activations act, String scope, INDArray x, int batch, int len, INDArray bias,
                         AttentionMask mask) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray n0 = act.get(Scratch.N0, n, d);
        layerNorm0.forward(kr, x, n0);
        INDArray a = act.get(Scratch.ATTN_OUT, n, d);
        Attention.Saved as = selfAttention.forward(kr, act, scope + ".attn", n0, n0, batch, len, len, bias, mask, a);
        INDArray mid = act.get(scope + ".mid", n, d);
        x.add(a, mid);
        INDArray n1 = act.get(Scratch.N1, n, d);
        layerNorm1.forward(kr, mid, n1);
        INDArray f = act.get(Scratch.FF_OUT, n, d);
        FeedForward.Saved fs = ff.forward(kr, act, scope + ".ff", n1, f);
        INDArray out = act.get(scope + ".out", n, d);
        mid.add(f, out);
        return new Saved(x, as, mid, fs, out);
    }

    /** Turns dOut [B·L, D] into the gradient of the block's input, in place; scratch under scope. */
    public void backward(Kernels kr, Activations act, String scope, Saved s, INDArray dOut, int batch) {
        long n = dOut.size(0);
        long d = dOut.size(1);
        INDArray dn = act.get(scope + ".dn", n, d);
        ff.backward(kr, act, scope + ".ff", s.ff(), dOut, dn);            // out = mid + FFN(ln₁(mid))
        layerNorm1.backward(kr, s.mid(), dn, dOut, true);                 // dOut is now dmid
        selfAttention.backward(kr, act, scope + ".attn", s.attention(), dOut, batch, dn, dn); // mid = x + Attn(ln₀(x))
        layerNorm0.backward(kr, s.x(), dn, dOut, true);                   // dOut is now dx
    }
}
