package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One decoder block (HF: layer.0 SelfAttention, layer.1 EncDecAttention, layer.2 DenseReluDense), pre-norm
 * residual: mid = x + SelfAttention(ln₀(x)) [causal]; cross = mid + EncDecAttention(ln₁(mid), H_enc);
 * out = cross + FFN(ln₂(cross)). Legend: B batch, T decoder length, L encoder length, D d_model.
 */
public record DecoderBlock(RmsNorm layerNorm0, Attention selfAttention, RmsNorm layerNorm1, Attention crossAttention,
                           RmsNorm layerNorm2, FeedForward ff) {

    /**
     * Teacher-forced: x [B·T, D]; encoderHidden [B·L, D]; selfBias [H, T, T]; encoderMask over the L keys.
     * Returns out [B·T, D] (buffer scope.out, which may alias x).
     */
    public INDArray forward(Kernels kr, Activations act, String scope, INDArray x, int batch, int len,
                            INDArray encoderHidden, int encLen, INDArray selfBias, AttentionMask encoderMask) {
        INDArray mid = selfPart(kr, act, scope, x, batch, len, selfBias, new AttentionMask.Causal(0), null, 0);
        INDArray n1 = act.get(scope + ".n1", x.size(0), x.size(1));
        layerNorm1.forward(kr, mid, n1);
        INDArray c = act.get(scope + ".crossOut", x.size(0), x.size(1));
        crossAttention.forward(kr, act, scope + ".cross", n1, encoderHidden, batch, len, encLen, null, encoderMask, c);
        return crossAndFf(kr, act, scope, mid, c);
    }

    /**
     * One generation step at position t with caches: x [B, D] (the new token); selfK/selfV [B·H, Tmax, K]
     * receive this position's K/V at row t; crossK/crossV [B·H, L, K] were computed once from H_enc;
     * selfBias [H, 1, Tmax] for query position t. Returns out [B, D].
     */
    public INDArray step(Kernels kr, Activations act, String scope, INDArray x, int batch, int t, INDArray selfK,
                         INDArray selfV, INDArray crossK, INDArray crossV, INDArray selfBias,
                         AttentionMask encoderMask) {
        INDArray mid = selfPart(kr, act, scope, x, batch, 1, selfBias, new AttentionMask.Causal(t),
                new INDArray[]{selfK, selfV}, t);
        INDArray n1 = act.get(scope + ".n1", x.size(0), x.size(1));
        layerNorm1.forward(kr, mid, n1);
        INDArray c = act.get(scope + ".crossOut", x.size(0), x.size(1));
        crossAttention.forwardWithKv(kr, act, scope + ".cross", n1, crossK, crossV, batch, 1, null, encoderMask, c);
        return crossAndFf(kr, act, scope, mid, c);
    }

    /** The cross-attention K and V of encoder output h [B·L, D] into kh, vh [B·H, L, K], once per generation. */
    public void crossKv(Kernels kr, Activations act, String scope, INDArray encoderHidden, int batch, INDArray kh,
                        INDArray vh) {
        crossAttention.projectHeads(kr, act, scope + ".cross", crossAttention.k(), encoderHidden, batch, kh, 0);
        crossAttention.projectHeads(kr, act, scope + ".cross", crossAttention.v(), encoderHidden, batch, vh, 0);
    }

    private INDArray selfPart(Kernels kr, Activations act, String scope, INDArray x, int batch, int len,
                              INDArray bias, AttentionMask causal, INDArray[] cache, int t) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray n0 = act.get(scope + ".n0", n, d);
        layerNorm0.forward(kr, x, n0);
        INDArray a = act.get(scope + ".attnOut", n, d);
        String s = scope + ".attn";
        if (cache == null) {
            selfAttention.forward(kr, act, s, n0, n0, batch, len, len, bias, causal, a);
        } else {
            selfAttention.projectHeads(kr, act, s, selfAttention.k(), n0, batch, cache[0], t);
            selfAttention.projectHeads(kr, act, s, selfAttention.v(), n0, batch, cache[1], t);
            selfAttention.forwardWithKv(kr, act, s, n0, cache[0], cache[1], batch, len, bias, causal, a);
        }
        INDArray mid = act.get(scope + ".mid", n, d);
        x.add(a, mid);
        return mid;
    }

    private INDArray crossAndFf(Kernels kr, Activations act, String scope, INDArray mid, INDArray crossOut) {
        long n = mid.size(0);
        long d = mid.size(1);
        INDArray cross = act.get(scope + ".cross.res", n, d);
        mid.add(crossOut, cross);
        INDArray n2 = act.get(scope + ".n2", n, d);
        layerNorm2.forward(kr, cross, n2);
        INDArray f = act.get(scope + ".ffOut", n, d);
        ff.forward(kr, act, scope + ".ff", n2, f);
        INDArray out = act.get(scope + ".out", n, d);
        cross.add(f, out);
        return out;
    }
}
