package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * T5 multi-head attention (self or cross), no 1/√d_kv scaling: probs = softmax(Q·Kᵀ + bias + mask),
 * out = merge(probs·V)·Oᵀ. Heads are laid out [B·H, L, K] so each product is one rank-3 matmul.
 * Legend: B batch, H heads, K d_kv, I = H·K, D d_model, Lq/Lk query/key lengths.
 */
public record Attention(Linear q, Linear k, Linear v, Linear o, int heads, int dKv) {

    /** What backward reads: the heads of Q, K, V, the probabilities (before dropout) and their dropout. */
    public record Saved(INDArray qh /* [B·H, Lq, K] */, INDArray kh /* [B·H, Lk, K] */,
                        INDArray vh /* [B·H, Lk, K] */, INDArray probs /* [B·H, Lq, Lk] */, Dropout probsDropout) {
    }

    public int inner() {
        return heads * dKv;
    }

    /**
     * Full attention: queries from x [B·Lq, D], keys and values from kv [B·Lk, D] (kv == x for
     * self-attention); out [B·Lq, D]. bias [H, Lq, Lk] or null. Buffers are taken from act under scope.
     */
    public Saved forward(Kernels kr, Activations act, String scope, INDArray x, INDArray kv, int batch, int lq,
                         int lk, INDArray bias, AttentionMask mask, Dropout probsDropout, INDArray out) {
        INDArray kh = act.get(scope + ".kh", (long) batch * heads, lk, dKv);
        INDArray vh = act.get(scope + ".vh", (long) batch * heads, lk, dKv);
        projectHeads(kr, act, scope, k, kv, batch, kh, 0);
        projectHeads(kr, act, scope, v, kv, batch, vh, 0);
        return forwardWithKv(kr, act, scope, x, kh, vh, batch, lq, bias, mask, probsDropout, out);
    }

    /**
     * Attention over keys and values already in head layout (cross-attention's K/V computed once, or a
     * KV cache): kh, vh [B·H, Lk, K].
     */
    public Saved forwardWithKv(Kernels kr, Activations act, String scope, INDArray x, INDArray kh, INDArray vh,
                               int batch, int lq, INDArray bias, AttentionMask mask, Dropout probsDropout,
                               INDArray out) {
        long lk = kh.size(1);
        INDArray qh = act.get(scope + ".qh", (long) batch * heads, lq, dKv);
        projectHeads(kr, act, scope, q, x, batch, qh, 0);
        INDArray probs = act.get(scope + ".probs", (long) batch * heads, lq, lk);
        Nd4j.matmul(qh, kh, probs, false, true, false);          // scores = Q·Kᵀ: [B·H, Lq, Lk]
        kr.softmax(probs, bias, mask, heads);                    // + bias + mask, softmax over keys
        INDArray ctx = act.get(Scratch.CTX, (long) batch * heads, lq, dKv);
        Nd4j.matmul(dropped(kr, act, probs, probsDropout), vh, ctx, false, false, false); // ctx = drop(probs)·V
        INDArray merged = act.get(Scratch.MERGED, (long) batch * lq, inner());
        kr.mergeHeads(ctx, merged, batch);                       // [B·Lq, I]
        o.forward(kr, merged, out);                                 // [B·Lq, D]
        return new Saved(qh, kh, vh, probs, probsDropout);
    }

    /** probs itself, or its dropout in a scratch buffer (recomputed identically in backward). */
    private static INDArray dropped(Kernels kr, Activations act, INDArray probs, Dropout d) {
        if (!d.active()) {
            return probs;
        }
        INDArray pd = act.get(Scratch.PROBS_DROPPED, probs.shape());
        pd.assign(probs);
        kr.dropout(pd, d.rate(), d.seed());
        return pd;
    }

    /**
     * Inverts the attention from its saved state. dOut: [B·Lq, D]. Writes dxQ [B·Lq, D] (the query input's
     * gradient) and adds the key/value input's gradient to dxKv [B·Lk, D] — for self-attention pass the same
     * array twice: the query part is written first, then K and V add to it.
     */
    public void backward(Kernels kr, Activations act, String scope, Saved s, INDArray dOut, int batch, INDArray dxQ,
                         INDArray dxKv) {
        long bh = s.probs().size(0);
        long lq = s.probs().size(1);
        long lk = s.probs().size(2);
        INDArray dMerged = act.get(scope + ".dmerged", dOut.size(0), inner());
        o.backward(dOut, dMerged, false);                          // out = merged·Oᵀ
        INDArray dCtx = act.get(scope + ".dctx", bh, lq, dKv);
        kr.splitHeads(dMerged, dCtx, batch, 0);                    // merged = merge(ctx)
        INDArray dProbs = act.get(scope + ".dprobs", bh, lq, lk);
        Nd4j.matmul(dCtx, s.vh(), dProbs, false, true, false);     // ctx = pd·V → dpd = dctx·Vᵀ
        INDArray dVh = act.get(scope + ".dvh", bh, lk, dKv);
        Nd4j.matmul(dropped(kr, act, s.probs(), s.probsDropout()), dCtx, dVh, true, false, false); // dV = pdᵀ·dctx
        if (s.probsDropout().active()) {
            kr.dropout(dProbs, s.probsDropout().rate(), s.probsDropout().seed()); // pd = drop(probs)
        }
        kr.softmaxBackward(s.probs(), dProbs);                     // probs = softmax(scores) → dscores
        INDArray dQh = act.get(scope + ".dqh", bh, lq, dKv);
        Nd4j.matmul(dProbs, s.kh(), dQh, false, false, false);     // scores = Q·Kᵀ → dQ = dscores·K
        INDArray dKh = act.get(scope + ".dkh", bh, lk, dKv);
        Nd4j.matmul(dProbs, s.qh(), dKh, true, false, false);      //                dK = dscoresᵀ·Q
        INDArray flatQ = act.get(scope + ".dflatq", dxQ.size(0), inner());
        kr.mergeHeads(dQh, flatQ, batch);
        q.backward(flatQ, dxQ, false);                             // Q = heads(x·Wqᵀ)
        INDArray flatKv = act.get(scope + ".dflatkv", dxKv.size(0), inner());
        kr.mergeHeads(dKh, flatKv, batch);
        k.backward(flatKv, dxKv, true);                            // K = heads(kv·Wkᵀ)
        kr.mergeHeads(dVh, flatKv, batch);
        v.backward(flatKv, dxKv, true);                            // V = heads(kv·Wvᵀ)
    }

    /** dst[:, pos:pos+L, :] = heads(x·Wᵀ); x: [B·L, D]; dst: [B·H, Ld, K]. */
    public void projectHeads(Kernels kr, Activations act, String scope, Linear w, INDArray x, int batch,
                             INDArray dst, int pos) {
        INDArray flat = act.get(Scratch.PROJ, x.size(0), inner());
        w.forward(kr, x, flat);
        kr.splitHeads(flat, dst, batch, pos);
    }
}
