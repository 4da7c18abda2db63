package dev.t5pt.layers;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Buffer;
import dev.t5pt.model.Dropout;
import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * T5 multi-head attention (self or cross), no 1/√d_kv scaling: probs = softmax(Q·Kᵀ + bias + mask),
 * out = merge(probs·V)·Oᵀ. The q, k and v weights are stacked into one [3I, D] matrix so that
 * self-attention projects Q, K and V with one GEMM (and its backward needs one), cross-attention K and V
 * with one; {@code q}, {@code k}, {@code v} and {@code kv} are row views of it. Heads are laid out [B·H, L, K]
 * so each product is one batched matmul.
 * Legend: B batch, H heads, K d_kv, I = H·K, D d_model, Lq/Lk query/key lengths.
 */
public record Attention(Linear qkv /* [3I, D] */, Linear q, Linear k, Linear v, Linear kv /* [2I, D] */,
                        Linear o /* [D, I] */, int heads, int dKv) {

    /** What backward reads: the probabilities (before dropout), their dropout, and what the products read. */
    public sealed interface Saved permits Projected, Absorbed {
        INDArray probs(); // [B·H, Lq, Lk]

        Dropout probsDropout();
    }

    /** What one attention layer keeps for its backward: [B·H, L, K] heads and the [B·H, Lq, Lk] probabilities. */
    public static final class Buffers {
        final Buffer qh;
        final Buffer kh;
        final Buffer vh;
        final Buffer probs;

        public Buffers(Activations act) {
            qh = act.buffer();
            kh = act.buffer();
            vh = act.buffer();
            probs = act.buffer();
        }
    }

    /** The heads of Q, K and V. */
    public record Projected(INDArray qh /* [B·H, Lq, K] */, INDArray kh /* [B·H, Lk, K] */,
                            INDArray vh /* [B·H, Lk, K] */, INDArray probs, Dropout probsDropout) implements Saved {
    }

    /** Cross-attention with the key and value projections moved to the query side (see forwardAbsorbed). */
    public record Absorbed(INDArray qh /* [B·H, Lq, K] */, INDArray kvIn /* [B·Lk, D] */, INDArray probs,
                           Dropout probsDropout) implements Saved {
    }

    /** The attention over HF's q, k, v weights already stacked: fused [3I, D], q rows, then k, then v; o: [D, I]. */
    public static Attention fused(Frozen fused, Frozen o, int heads, int dKv) {
        int inner = heads * dKv;
        return new Attention(new Linear(fused), new Linear(fused.rows(0, inner)), new Linear(fused.rows(inner, 2 * inner)),
                new Linear(fused.rows(2 * inner, 3 * inner)), new Linear(fused.rows(inner, 3 * inner)), new Linear(o),
                heads, dKv);
    }

    /** Stacks HF's float32 q, k, v weights ([I, D] each) into the fused projection (a copy); o: [D, I]. */
    public static Attention of(INDArray q, INDArray k, INDArray v, INDArray o, int heads, int dKv) {
        return fused(new Frozen.F32(Nd4j.concat(0, q, k, v)), new Frozen.F32(o), heads, dKv);
    }

    public int inner() {
        return heads * dKv;
    }

    /** Bytes held by the projections. */
    public long heldBytes() {
        return qkv.weight().heldBytes() + o.weight().heldBytes();
    }

    /**
     * Full attention: queries from x [B·Lq, D], keys and values from kv [B·Lk, D] (the same array for
     * self-attention, which then takes one fused projection); out [B·Lq, D]. bias [H, Lq, Lk] or null.
     * Cross-attention with few queries per key takes {@link #forwardAbsorbed} when that is cheaper.
     * What backward reads goes to buf, scratch to act.
     */
    public Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, INDArray kvIn, int batch, int lq,
                         int lk, INDArray bias, AttentionMask mask, Dropout probsDropout, INDArray out) {
        if (x != kvIn && bias == null && absorbs(lq, lk, x.size(1))) {
            return forwardAbsorbed(kr, act, buf, x, kvIn, batch, lq, lk, mask, probsDropout, out);
        }
        INDArray qh = buf.qh.get((long) batch * heads, lq, dKv);
        INDArray kh = buf.kh.get((long) batch * heads, lk, dKv);
        INDArray vh = buf.vh.get((long) batch * heads, lk, dKv);
        if (x == kvIn) {
            INDArray flat = Scratch.of(act).projQkv.get(x.size(0), 3L * inner());
            qkv.forward(kr, x, flat);                                // [B·L, 3I] = x·[Wq; Wk; Wv]ᵀ
            kr.splitHeads(flat, 0, qh, batch, 0);
            kr.splitHeads(flat, inner(), kh, batch, 0);
            kr.splitHeads(flat, 2 * inner(), vh, batch, 0);
        } else {
            projectKv(kr, act, kvIn, batch, kh, vh, 0);
            projectHeads(kr, act, q, x, batch, qh, 0);
        }
        return attend(kr, act, buf, qh, kh, vh, batch, bias, mask, probsDropout, out);
    }

    /**
     * Attention over keys and values already in head layout (cross-attention's K/V computed once):
     * kh, vh [B·H, Lk, K].
     */
    public Saved forwardWithKv(Kernels kr, Activations act, Buffers buf, INDArray x, INDArray kh, INDArray vh,
                               int batch, int lq, INDArray bias, AttentionMask mask, Dropout probsDropout,
                               INDArray out) {
        INDArray qh = buf.qh.get((long) batch * heads, lq, dKv);
        projectHeads(kr, act, q, x, batch, qh, 0);
        return attend(kr, act, buf, qh, kh, vh, batch, bias, mask, probsDropout, out);
    }

    /**
     * One decoding step of self-attention with a cache: x [B, D] is the new position t; its K and V go to row t
     * of kCache, vCache [B·H, Tmax, K] (one fused projection for Q, K, V), then the query attends over the cache.
     */
    public Saved forwardStep(Kernels kr, Activations act, Buffers buf, INDArray x, INDArray kCache, INDArray vCache,
                             int batch, int t, INDArray bias, AttentionMask mask, INDArray out) {
        INDArray qh = buf.qh.get((long) batch * heads, 1, dKv);
        INDArray flat = Scratch.of(act).projQkv.get(x.size(0), 3L * inner());
        qkv.forward(kr, x, flat);                                    // [B, 3I]
        kr.splitHeads(flat, 0, qh, batch, 0);
        kr.splitHeads(flat, inner(), kCache, batch, t);
        kr.splitHeads(flat, 2 * inner(), vCache, batch, t);
        return attend(kr, act, buf, qh, kCache, vCache, batch, bias, mask, Dropout.NONE, out);
    }

    /** probs = softmax(Q·Kᵀ + bias + mask); out = merge(drop(probs)·V)·Oᵀ. */
    private Saved attend(Kernels kr, Activations act, Buffers buf, INDArray qh, INDArray kh, INDArray vh, int batch, INDArray bias,
                         AttentionMask mask, Dropout probsDropout, INDArray out) {
        long bh = qh.size(0);
        long lq = qh.size(1);
        long lk = kh.size(1);
        INDArray probs = buf.probs.get(bh, lq, lk);
        INDArray ctx = Scratch.of(act).ctx.get(bh, lq, dKv);
        INDArray pd = probsDropout.active() ? Scratch.of(act).probsDropped.get(bh, lq, lk) : null;
        // probs = softmax(Q·Kᵀ + bias + mask): [B·H, Lq, Lk]; ctx = drop(probs)·V, a head at a time
        kr.attention(qh, kh, vh, bias, mask, heads, probs, ctx, probsDropout, pd);
        INDArray merged = Scratch.of(act).merged.get(batch * lq, inner());
        kr.mergeHeads(ctx, merged, 0, batch);                       // [B·Lq, I]
        o.forward(kr, merged, out);                                 // [B·Lq, D]
        return new Projected(qh, kh, vh, probs, probsDropout);
    }

    /**
     * Whether attention of lq queries over lk keys costs fewer multiply-adds per batch row with the key and value
     * projections on the query side, H·Lq·(K + Lk)·2D, than projecting every key, Lk·D·2I + 2H·Lq·Lk·K (the
     * backward passes scale alike). True for a prompt-tuning step's decoder: 8 targets over 228 encoder rows.
     */
    boolean absorbs(long lq, long lk, long d) {
        return 2L * heads * lq * (dKv + lk) * d < lk * d * 2L * inner() + 2L * heads * lq * lk * dKv;
    }

    /**
     * Cross-attention without projecting keys and values: per head, scores = Q_h·(H·W_kh ᵀ)ᵀ = (Q_h·W_kh)·Hᵀ and
     * ctx = P·(H·W_vh ᵀ) = (P·H)·W_vh ᵀ, with H = kvIn [B·Lk, D] and W_kh, W_vh [K, D] the head's rows of W_k, W_v.
     * The same function as {@link #forward} up to float rounding; the products run per batch row with the heads
     * stacked ([B, H·Lq, ...] is [B·H, Lq, ...]). out [B·Lq, D].
     */
    public Saved forwardAbsorbed(Kernels kr, Activations act, Buffers buf, INDArray x, INDArray kvIn, int batch,
                                 int lq, int lk, AttentionMask mask, Dropout probsDropout, INDArray out) {
        long d = kvIn.size(1);
        long bh = (long) batch * heads;
        INDArray qh = buf.qh.get(bh, lq, dKv);  // kept: backward recomputes qk from it (D/K× smaller)
        projectHeads(kr, act, q, x, batch, qh, 0);
        INDArray qk = Scratch.of(act).qk.get(bh, lq, d);
        kr.batchedMatmul(qh, false, headRows(kr, k), false, qk);        // Q_h·W_kh: [B·H, Lq, D]
        INDArray h = kvIn.reshape('c', true, batch, lk, d);            // [B, Lk, D]
        INDArray probs = buf.probs.get(bh, lq, lk);
        kr.batchedMatmul(perBatch(qk, batch), false, h, true, perBatch(probs, batch)); // scores: [B, H·Lq, Lk]
        kr.softmax(probs, null, mask, heads);
        INDArray u = Scratch.of(act).valueSum.get(bh, lq, d);
        kr.batchedMatmul(perBatch(dropped(kr, act, probs, probsDropout), batch), false, h, false, perBatch(u, batch)); // P·H
        INDArray ctx = Scratch.of(act).ctx.get(bh, lq, dKv);
        kr.batchedMatmul(u, false, headRows(kr, v), true, ctx);         // (P·H)·W_vh ᵀ: [B·H, Lq, K]
        INDArray merged = Scratch.of(act).merged.get((long) batch * lq, inner());
        kr.mergeHeads(ctx, merged, 0, batch);
        o.forward(kr, merged, out);
        return new Absorbed(qh, kvIn, probs, probsDropout);
    }

    /** The inverse of {@link #forwardAbsorbed}; see {@link #backward}. */
    private void backwardAbsorbed(Kernels kr, Activations act, Absorbed s, INDArray dOut, int batch, INDArray dxQ,
                                  INDArray dxKv) {
        long bh = s.probs().size(0);
        long lq = s.probs().size(1);
        long lk = s.probs().size(2);
        long d = s.kvIn().size(1);
        INDArray h = s.kvIn().reshape('c', true, batch, lk, d);
        INDArray dh = dxKv.reshape('c', true, batch, lk, d);           // written through: a view
        INDArray dMerged = Scratch.of(act).gradMerged.get(dOut.size(0), inner());
        o.backward(kr, dOut, dMerged, false);                              // out = merged·Oᵀ
        INDArray dCtx = Scratch.of(act).gradCtx.get(bh, lq, dKv);
        kr.splitHeads(dMerged, 0, dCtx, batch, 0);
        INDArray du = Scratch.of(act).gradValueSum.get(bh, lq, d);
        kr.batchedMatmul(dCtx, false, headRows(kr, v), false, du);      // ctx = u·W_vh ᵀ → du = dctx·W_vh
        INDArray dProbs = Scratch.of(act).gradProbs.get(bh, lq, lk);
        kr.batchedMatmul(perBatch(du, batch), false, h, true, perBatch(dProbs, batch)); // u = pd·H → dpd = du·Hᵀ
        INDArray pd = dropped(kr, act, s.probs(), s.probsDropout());
        kr.batchedMatmul(perBatch(pd, batch), true, perBatch(du, batch), false, dh, true); // dH += pdᵀ·du
        if (s.probsDropout().active()) {
            kr.dropout(dProbs, s.probsDropout().rate(), s.probsDropout().seed(), s.probsDropout().offset(dProbs.length()));
        }
        kr.softmaxBackward(s.probs(), dProbs);                         // → dscores
        INDArray qk = Scratch.of(act).qk.get(bh, lq, d);
        kr.batchedMatmul(s.qh(), false, headRows(kr, k), false, qk);   // qk = Q_h·W_kh again, as forward made it
        kr.batchedMatmul(perBatch(dProbs, batch), true, perBatch(qk, batch), false, dh, true); // scores = qk·Hᵀ → dH += dscoresᵀ·qk
        INDArray dQk = du;                                             // du is spent: reuse its buffer
        kr.batchedMatmul(perBatch(dProbs, batch), false, h, false, perBatch(dQk, batch)); //              dqk = dscores·H
        INDArray dQh = Scratch.of(act).gradQh.get(bh, lq, dKv);
        kr.batchedMatmul(dQk, false, headRows(kr, k), true, dQh);       // qk = Q_h·W_kh → dQ_h = dqk·W_kh ᵀ
        INDArray flatQ = Scratch.of(act).gradFlatQ.get(dxQ.size(0), inner());
        kr.mergeHeads(dQh, flatQ, 0, batch);
        q.backward(kr, flatQ, dxQ, false);
    }

    /**
     * W [I, D] as one [K, D] slice per head: [H, K, D] (a view of a float32 W; of its upcast in this thread's
     * scratch otherwise, valid until the next product with a compact weight).
     */
    private INDArray headRows(Kernels kr, Linear w) {
        return Upcast.rows(kr, w.weight(), 0, (int) w.out()).reshape('c', true, heads, dKv, w.in());
    }

    /** [B·H, Lq, N] seen as [B, H·Lq, N] (a view, or an error): one product per batch row covers all heads. */
    private INDArray perBatch(INDArray a, int batch) {
        return a.reshape('c', true, batch, a.size(0) / batch * a.size(1), a.size(2));
    }

    /** probs itself, or its dropout in a scratch buffer (recomputed identically in backward). */
    private static INDArray dropped(Kernels kr, Activations act, INDArray probs, Dropout d) {
        return d.active() ? kr.dropped(probs, d, Scratch.of(act).probsDropped.get(probs.shape())) : probs;
    }

    /**
     * Inverts the attention from its saved state. dOut: [B·Lq, D]. Writes dxQ [B·Lq, D] (the query input's
     * gradient) and adds the key/value input's gradient to dxKv [B·Lk, D] — for self-attention pass the same
     * array twice: the fused projection then writes the whole input gradient with one GEMM.
     */
    public void backward(Kernels kr, Activations act, Saved saved, INDArray dOut, int batch, INDArray dxQ,
                         INDArray dxKv) {
        if (saved instanceof Absorbed a) {
            backwardAbsorbed(kr, act, a, dOut, batch, dxQ, dxKv);
            return;
        }
        Projected s = (Projected) saved;
        long bh = s.probs().size(0);
        long lq = s.probs().size(1);
        long lk = s.probs().size(2);
        INDArray dMerged = Scratch.of(act).gradMerged.get(dOut.size(0), inner());
        o.backward(kr, dOut, dMerged, false);                          // out = merged·Oᵀ
        INDArray dCtx = Scratch.of(act).gradCtx.get(bh, lq, dKv);
        kr.splitHeads(dMerged, 0, dCtx, batch, 0);                 // merged = merge(ctx)
        INDArray dProbs = Scratch.of(act).gradProbs.get(bh, lq, lk);
        INDArray dVh = Scratch.of(act).gradVh.get(bh, lk, dKv);
        INDArray dQh = Scratch.of(act).gradQh.get(bh, lq, dKv);
        INDArray dKh = Scratch.of(act).gradKh.get(bh, lk, dKv);
        INDArray pd = s.probsDropout().active() ? Scratch.of(act).probsDropped.get(bh, lq, lk) : null;
        // ctx = pd·V, pd = drop(probs), probs = softmax(scores), scores = Q·Kᵀ → dpd, dV, dscores, dQ, dK
        kr.attentionBackward(dCtx, s.probs(), s.qh(), s.kh(), s.vh(), dProbs, dQh, dKh, dVh, s.probsDropout(), pd);
        if (dxQ == dxKv) {
            INDArray flat = Scratch.of(act).gradFlatQkv.get(dxQ.size(0), 3L * inner());
            kr.mergeHeads(dQh, flat, 0, batch);
            kr.mergeHeads(dKh, flat, inner(), batch);
            kr.mergeHeads(dVh, flat, 2 * inner(), batch);
            qkv.backward(kr, flat, dxQ, false);                        // [Q|K|V] = x·[Wq; Wk; Wv]ᵀ
        } else {
            INDArray flatQ = Scratch.of(act).gradFlatQ.get(dxQ.size(0), inner());
            kr.mergeHeads(dQh, flatQ, 0, batch);
            q.backward(kr, flatQ, dxQ, false);                         // Q = heads(x·Wqᵀ)
            INDArray flatKv = Scratch.of(act).gradFlatKv.get(dxKv.size(0), 2L * inner());
            kr.mergeHeads(dKh, flatKv, 0, batch);
            kr.mergeHeads(dVh, flatKv, inner(), batch);
            kv.backward(kr, flatKv, dxKv, true);                       // [K|V] = heads(kv·[Wk; Wv]ᵀ)
        }
    }

    /** kh, vh [B·H, Ld, K] rows pos.. = heads of kvIn·[Wk; Wv]ᵀ, one fused GEMM; kvIn: [B·L, D]. */
    public void projectKv(Kernels kr, Activations act, INDArray kvIn, int batch, INDArray kh, INDArray vh, int pos) {
        INDArray flat = Scratch.of(act).projKv.get(kvIn.size(0), 2L * inner());
        kv.forward(kr, kvIn, flat);
        kr.splitHeads(flat, 0, kh, batch, pos);
        kr.splitHeads(flat, inner(), vh, batch, pos);
    }

    /** dst[:, pos:pos+L, :] = heads(x·Wᵀ); x: [B·L, D]; dst: [B·H, Ld, K]. */
    private void projectHeads(Kernels kr, Activations act, Linear w, INDArray x, int batch, INDArray dst, int pos) {
        INDArray flat = Scratch.of(act).proj.get(x.size(0), inner());
        w.forward(kr, x, flat);
        kr.splitHeads(flat, 0, dst, batch, pos);
    }
}
