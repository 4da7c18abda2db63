package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One encoder block (HF: layer.0 = SelfAttention, layer.1 = DenseReluDense), pre-norm residual:
 * mid = x + drop(SelfAttention(layer_norm₀(x))); out = LayerFF(mid) = mid + drop(FFN(layer_norm₁(mid))).
 * Legend: B batch, L length, D d_model.
 */
public record EncoderBlock(RmsNorm layerNorm0, Attention selfAttention, LayerFF layerFF) {

    /** What backward reads, and the block's output. All [B·L, D] except the attention's and FFN's own. */
    public record Saved(INDArray x, Attention.Saved attention, LayerFF.Saved ff, BlockDropout dropout) {
        public INDArray out() {
            return ff.out();
        }
    }

    /**
     * x: [B·L, D]; bias: [H, L, L]; out is buffer scope.out (which may alias x when scopes are shared).
     * {@code dropout} holds this block's sites (none in eval mode).
     */
    public Saved forward(Kernels kr, Activations act, String scope, INDArray x, int batch, int len, INDArray bias,
                         AttentionMask mask, BlockDropout dropout) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray n0 = act.get(Scratch.N0, n, d);
        layerNorm0.forward(kr, x, n0);
        INDArray a = act.get(Scratch.ATTN_OUT, n, d);
        Attention.Saved as = selfAttention.forward(kr, act, scope + ".attn", n0, n0, batch, len, len, bias, mask,
                dropout.selfProbs(), a);
        BlockDropout.apply(kr, dropout.selfOut(), a);
        INDArray mid = act.get(scope + ".mid", n, d);
        kr.add(x, a, mid);
        LayerFF.Saved fs = layerFF.forward(kr, act, scope, mid, dropout.ffHidden(), dropout.ffOut());
        return new Saved(x, as, fs, dropout);
    }

    /** Turns dOut [B·L, D] into the gradient of the block's input, in place; scratch under scope. */
    public void backward(Kernels kr, Activations act, String scope, Saved s, INDArray dOut, int batch) {
        long n = dOut.size(0);
        long d = dOut.size(1);
        INDArray dn = act.get(Scratch.GRAD_NORMED, n, d);
        layerFF.backward(kr, act, scope, s.ff(), s.dropout().ffHidden(), s.dropout().ffOut(), dOut); // dOut is now dmid
        INDArray dBranch = BlockDropout.branchGradient(kr, act, s.dropout().selfOut(), dOut);
        selfAttention.backward(kr, act, scope + ".attn", s.attention(), dBranch, batch, dn, dn); // mid = x + drop(Attn(ln₀(x)))
        layerNorm0.backward(kr, s.x(), dn, dOut, true);                                   // dOut is now dx
    }
}
