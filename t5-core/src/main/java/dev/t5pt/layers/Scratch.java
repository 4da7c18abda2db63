package dev.t5pt.layers;

/**
 * Buffer names for intermediates no backward reads, and for gradients inside one layer's backward: one
 * buffer each, shared by every layer, so a forward that keeps activations for backward keeps only what the
 * backward passes read (block inputs, residual sums, attention heads and probabilities, FFN pre-activations).
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
    static final String QK = "tmp.qk";
    static final String VALUE_SUM = "tmp.valueSum";
    static final String MERGED = "tmp.merged";
    static final String PROBS_DROPPED = "tmp.probsDropped";
    static final String BRANCH_GRAD = "tmp.branchGrad";

    // Gradients that live only inside one layer's backward: shared by every layer too, since the backward
    // pass runs one layer at a time (a T5-base step would otherwise keep ~1 GB of them).
    static final String GRAD_NORMED = "grad.normed";
    static final String GRAD_MERGED = "grad.merged";
    static final String GRAD_CTX = "grad.ctx";
    static final String GRAD_PROBS = "grad.probs";
    static final String GRAD_QH = "grad.qh";
    static final String GRAD_VALUE_SUM = "grad.valueSum";
    static final String GRAD_KH = "grad.kh";
    static final String GRAD_VH = "grad.vh";
    static final String GRAD_FLAT_QKV = "grad.flatQkv";
    static final String GRAD_FLAT_Q = "grad.flatQ";
    static final String GRAD_FLAT_KV = "grad.flatKv";
    static final String GRAD_HIDDEN = "grad.ffHidden";
    static final String GRAD_GATE = "grad.ffGate";
    static final String GRAD_LINEAR = "grad.ffLinear";

    private Scratch() {
    }
}
