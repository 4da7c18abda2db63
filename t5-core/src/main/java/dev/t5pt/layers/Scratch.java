package dev.t5pt.layers;

/**
 * Buffer names for intermediates no backward reads: one buffer each, shared by every layer, so a
 * forward that keeps activations for backward keeps only what the backward passes read (block inputs,
 * residual sums, attention heads and probabilities, FFN pre-activations).
 */
final class Scratch {
    static final String N0 = "tmp.n0";
    static final String N1 = "tmp.n1";
    static final String ATTN_OUT = "tmp.attnOut";
    static final String CROSS_OUT = "tmp.crossOut";
    static final String FF_IN = "tmp.ffIn";
    static final String FF_OUT = "tmp.ffOut";
    static final String FF_HIDDEN = "tmp.ffHidden";
    static final String PROJ = "tmp.proj";
    static final String PROJ_QKV = "tmp.projQkv";
    static final String PROJ_KV = "tmp.projKv";
    static final String CTX = "tmp.ctx";
    static final String MERGED = "tmp.merged";
    static final String PROBS_DROPPED = "tmp.probsDropped";
    static final String BRANCH_GRAD = "tmp.branchGrad";

    private Scratch() {
    }
}
