package dev.t5pt.layers;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Buffer;

/**
 * The layers' shared workspace: intermediates no backward reads, and gradients inside one layer's backward, one
 * buffer each for every layer, so a forward that keeps activations for backward keeps only what the backward passes
 * read (block inputs, residual sums, attention heads and probabilities, FFN pre-activations: the layers' own
 * {@code Buffers}). A layer never holds one of these across a call into another layer that uses the same one.
 */
final class Scratch {
    // forward intermediates
    final Buffer normed;       // [N, D] layer_norm(x) of self-attention
    final Buffer crossNormed;  // [N, D] layer_norm(x) of cross-attention
    final Buffer attnOut;      // [N, D] self-attention's output before the residual
    final Buffer crossOut;     // [N, D] cross-attention's output before the residual
    final Buffer ffIn;         // [N, D] layer_norm(x) of the FFN
    final Buffer ffOut;        // [N, D] FFN output before the residual
    final Buffer ffHidden;     // [N, F] gelu(gate) ⊙ lin (recomputed in backward from gate and lin)
    final Buffer proj;         // [N, I] one projection before the head split
    final Buffer projQkv;      // [N, 3I] the fused Q|K|V projection
    final Buffer projKv;       // [N, 2I] the fused K|V projection
    final Buffer ctx;          // [B·H, Lq, K] probs·V
    final Buffer qk;           // [B·H, Lq, D] Q_h·W_kh (absorbed cross-attention)
    final Buffer valueSum;     // [B·H, Lq, D] P·H (absorbed cross-attention)
    final Buffer merged;       // [N, I] heads merged
    final Buffer probsDropped; // [B·H, Lq, Lk] drop(probs)
    final Buffer branchGrad;   // [N, D] a residual branch's gradient through its dropout

    // gradients inside one layer's backward
    final Buffer gradNormed;
    final Buffer gradMerged;
    final Buffer gradCtx;
    final Buffer gradProbs;
    final Buffer gradQh;
    final Buffer gradValueSum;
    final Buffer gradKh;
    final Buffer gradVh;
    final Buffer gradFlatQkv;
    final Buffer gradFlatQ;
    final Buffer gradFlatKv;
    final Buffer gradHidden;
    final Buffer gradGate;
    final Buffer gradLinear;

    private Scratch(Activations act) {
        normed = act.buffer();
        crossNormed = act.buffer();
        attnOut = act.buffer();
        crossOut = act.buffer();
        ffIn = act.buffer();
        ffOut = act.buffer();
        ffHidden = act.buffer();
        proj = act.buffer();
        projQkv = act.buffer();
        projKv = act.buffer();
        ctx = act.buffer();
        qk = act.buffer();
        valueSum = act.buffer();
        merged = act.buffer();
        probsDropped = act.buffer();
        branchGrad = act.buffer();
        gradNormed = act.buffer();
        gradMerged = act.buffer();
        gradCtx = act.buffer();
        gradProbs = act.buffer();
        gradQh = act.buffer();
        gradValueSum = act.buffer();
        gradKh = act.buffer();
        gradVh = act.buffer();
        gradFlatQkv = act.buffer();
        gradFlatQ = act.buffer();
        gradFlatKv = act.buffer();
        gradHidden = act.buffer();
        gradGate = act.buffer();
        gradLinear = act.buffer();
    }

    static Scratch of(Activations act) {
        return act.workspace(Scratch.class, Scratch::new);
    }
}
