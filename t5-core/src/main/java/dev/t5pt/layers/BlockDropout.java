package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The dropout sites of one block, each with its own seed; {@link #NONE} in eval mode. */
public record BlockDropout(Dropout selfProbs, Dropout selfOut, Dropout crossProbs, Dropout crossOut, Dropout ffHidden,
                           Dropout ffOut) {
    public static final BlockDropout NONE = new BlockDropout(Dropout.NONE, Dropout.NONE, Dropout.NONE, Dropout.NONE,
            Dropout.NONE, Dropout.NONE);

    /** The sites of block {@code layer} of stack 0 (encoder) or 1 (decoder) for one step's dropout. */
    public static BlockDropout of(Dropout step, int stack, int layer) {
        if (!step.active()) {
            return NONE;
        }
        return new BlockDropout(site(step, stack, layer, Dropout.Site.SELF_PROBS), site(step, stack, layer, Dropout.Site.SELF_OUT),
                site(step, stack, layer, Dropout.Site.CROSS_PROBS), site(step, stack, layer, Dropout.Site.CROSS_OUT),
                site(step, stack, layer, Dropout.Site.FF_HIDDEN), site(step, stack, layer, Dropout.Site.FF_OUT));
    }

    static Dropout site(Dropout step, int stack, int layer, Dropout.Site s) {
        return step.at(step.site(stack, layer, s));
    }

    /** x = drop(x) in place when the site is active. */
    public static void apply(Kernels kr, Dropout d, INDArray x) {
        if (d.active()) {
            kr.dropout(x, d.rate(), d.seed(), d.offset(x.length()));
        }
    }

    /**
     * The gradient reaching a residual branch y = drop(f): dOut itself without dropout, else drop(dOut) in a
     * scratch buffer (dOut also flows on unchanged through the residual).
     */
    static INDArray branchGradient(Kernels kr, Activations act, Dropout d, INDArray dOut) {
        if (!d.active()) {
            return dOut;
        }
        INDArray g = Scratch.of(act).branchGrad.get(dOut.shape());
        g.assign(dOut);
        kr.dropout(g, d.rate(), d.seed(), d.offset(g.length()));
        return g;
    }
}
