package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One decoder block (HF: layer.0 SelfAttention, layer.1 EncDecAttention, layer.2 DenseReluDense), pre-norm
 * residual: mid = x + drop(SelfAttention(ln₀(x))) [causal]; cross = mid + drop(EncDecAttention(ln₁(mid), H_enc));
 * out = LayerFF(cross) = cross + drop(FFN(ln₂(cross))). Legend: B batch, T decoder length, L encoder length, D d_model.
 */
public record DecoderBlock(RmsNorm layerNorm0, Attention selfAttention, RmsNorm layerNorm1, Attention crossAttention,
                           LayerFF layerFF) {

    /** What backward reads, and the block's output. */
    public record Saved(INDArray x, Attention.Saved self, INDArray mid, Attention.Saved cross, LayerFF.Saved ff,
                        BlockDropout dropout) {
        public INDArray out() {
            return ff.out();
        }
    }

    /**
     * Teacher-forced: x [B·T, D]; encoderHidden [B·L, D]; selfBias [H, T, T]; encoderMask over the L keys.
     * out is buffer scope.out (which may alias x when scopes are shared).
     */
    public Saved forward(Kernels kr, Activations act, String scope, INDArray x, int batch, int len,
                         INDArray encoderHidden, int encLen, INDArray selfBias, AttentionMask encoderMask,
                         BlockDropout dropout) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray n0 = act.get(Scratch.N0, n, d);
        layerNorm0.forward(kr, x, n0);
        INDArray a = act.get(Scratch.ATTN_OUT, n, d);
        Attention.Saved self = selfAttention.forward(kr, act, scope + ".attn", n0, n0, batch, len, len, selfBias,
                new AttentionMask.Causal(0), dropout.selfProbs(), a);
        BlockDropout.apply(kr, dropout.selfOut(), a);
        INDArray mid = act.get(scope + ".mid", n, d);
        kr.add(x, a, mid);
        INDArray n1 = act.get(Scratch.N1, n, d);
        layerNorm1.forward(kr, mid, n1);
        INDArray c = act.get(Scratch.CROSS_OUT, n, d);
        Attention.Saved cross = crossAttention.forward(kr, act, scope + ".cross", n1, encoderHidden, batch, len, encLen,
                null, encoderMask, dropout.crossProbs(), c);
        BlockDropout.apply(kr, dropout.crossOut(), c);
        return crossAndFf(kr, act, scope, x, self, mid, cross, c, dropout);
    }

    /**
     * Inverts the block: turns dOut [B·T, D] into the gradient of its input, in place, and adds the
     * cross-attention's contribution to dEncoderHidden [B·L, D].
     */
    public void backward(Kernels kr, Activations act, String scope, Saved s, INDArray dOut, int batch,
                         INDArray dEncoderHidden) {
        long n = dOut.size(0);
        long d = dOut.size(1);
        INDArray dn = act.get(Scratch.GRAD_NORMED, n, d);
        BlockDropout dr = s.dropout();
        layerFF.backward(kr, act, scope, s.ff(), dr.ffHidden(), dr.ffOut(), dOut); // dOut is now dcross
        INDArray dBranch = BlockDropout.branchGradient(kr, act, dr.crossOut(), dOut);
        crossAttention.backward(kr, act, scope + ".cross", s.cross(), dBranch, batch, dn, dEncoderHidden);
        layerNorm1.backward(kr, s.mid(), dn, dOut, true);                     // cross = mid + drop(X(ln₁(mid), H)): dmid
        dBranch = BlockDropout.branchGradient(kr, act, dr.selfOut(), dOut);
        selfAttention.backward(kr, act, scope + ".attn", s.self(), dBranch, batch, dn, dn);
        layerNorm0.backward(kr, s.x(), dn, dOut, true);                       // mid = x + drop(Self(ln₀(x))): dx
    }

    /**
     * One generation step at position t with caches: x [B, D] (the new token); selfK/selfV [B·H, Tmax, K]
     * receive this position's K/V at row t; crossK/crossV [B·H, L, K] were computed once from H_enc;
     * selfBias [H, 1, Tmax] for query position t. Returns out [B, D].
     */
    public INDArray step(Kernels kr, Activations act, String scope, INDArray x, int batch, int t, INDArray selfK,
                         INDArray selfV, INDArray crossK, INDArray crossV, INDArray selfBias,
                         AttentionMask encoderMask) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray n0 = act.get(Scratch.N0, n, d);
        layerNorm0.forward(kr, x, n0);
        INDArray a = act.get(Scratch.ATTN_OUT, n, d);
        Attention.Saved self = selfAttention.forwardStep(kr, act, scope + ".attn", n0, selfK, selfV, batch, t, selfBias,
                new AttentionMask.Causal(t), a);
        INDArray mid = act.get(scope + ".mid", n, d);
        kr.add(x, a, mid);
        INDArray n1 = act.get(Scratch.N1, n, d);
        layerNorm1.forward(kr, mid, n1);
        INDArray c = act.get(Scratch.CROSS_OUT, n, d);
        Attention.Saved cross = crossAttention.forwardWithKv(kr, act, scope + ".cross", n1, crossK, crossV, batch, 1,
                null, encoderMask, Dropout.NONE, c);
        return crossAndFf(kr, act, scope, x, self, mid, cross, c, BlockDropout.NONE).out();
    }

    /** The cross-attention K and V of encoder output h [B·L, D] into kh, vh [B·H, L, K], once per generation. */
    public void crossKv(Kernels kr, Activations act, String scope, INDArray encoderHidden, int batch, INDArray kh,
                        INDArray vh) {
        crossAttention.projectKv(kr, act, encoderHidden, batch, kh, vh, 0);
    }

    private Saved crossAndFf(Kernels kr, Activations act, String scope, INDArray x, Attention.Saved self, INDArray mid,
                             Attention.Saved cross, INDArray crossOut, BlockDropout dropout) {
        INDArray crossRes = act.get(scope + ".crossRes", mid.size(0), mid.size(1));
        kr.add(mid, crossOut, crossRes);
        LayerFF.Saved fs = layerFF.forward(kr, act, scope, crossRes, dropout.ffHidden(), dropout.ffOut());
        return new Saved(x, self, mid, cross, fs, dropout);
    }
}
