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

    /** x: [B·L, D]; bias: [H, L, L]; returns out [B·L, D] (buffer scope.out, which may alias x). */
    public INDArray forward(Kernels kr, Activations act, String scope, INDArray x, int batch, int len, INDArray bias,
                            AttentionMask mask) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray n0 = act.get(scope + ".n0", n, d);
        layerNorm0.forward(kr, x, n0);
        INDArray a = act.get(scope + ".attnOut", n, d);
        selfAttention.forward(kr, act, scope + ".attn", n0, n0, batch, len, len, bias, mask, a);
        INDArray mid = act.get(scope + ".mid", n, d);
        x.add(a, mid);
        INDArray n1 = act.get(scope + ".n1", n, d);
        layerNorm1.forward(kr, mid, n1);
        INDArray f = act.get(scope + ".ffOut", n, d);
        ff.forward(kr, act, scope + ".ff", n1, f);
        INDArray out = act.get(scope + ".out", n, d);
        mid.add(f, out);
        return out;
    }
}
