package dev.t5pt.model;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.layers.BlockDropout;
import dev.t5pt.layers.DecoderBlock;
import dev.t5pt.layers.RelativePositionBias;
import dev.t5pt.layers.RmsNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder stack: causal self-attention with block 0's position bias, cross-attention to H_enc.
 * Legend: B batch, T decoder length, L encoder length, D d_model.
 */
public record Decoder(List<DecoderBlock> blocks, RelativePositionBias positionBias, RmsNorm finalLayerNorm) {

    /** One teacher-forced pass: hidden [B·T, D] and, when kept, every block's state. */
    public record Pass(INDArray hidden, List<DecoderBlock.Saved> saved, INDArray finalInput, int batch,
                       Dropout dropout) {
    }

    /** What the decoder keeps in an {@link Activations}. */
    static final class Buffers {
        final Buffer bias;        // [H, T, T] the position bias, recomputed when T changes
        final Buffer hidden;      // [B·T, D] the output
        final Buffer dx;          // [B·T, D] the gradient flowing down in backward
        final PerLayer<DecoderBlock.Buffers> kept;     // block i's (keep)
        final DecoderBlock.Buffers shared;             // every block's otherwise

        private Buffers(Activations act) {
            kept = new PerLayer<>(() -> new DecoderBlock.Buffers(act));
            bias = act.buffer();
            hidden = act.buffer();
            dx = act.buffer();
            shared = new DecoderBlock.Buffers(act);
        }

        static Buffers of(Activations act) {
            return act.workspace(Buffers.class, Buffers::new);
        }
    }

    /** Block i's output [B·T, D] from act's last pass that kept every block, or null: for dumps. */
    public static INDArray blockOutput(Activations act, int i) {
        DecoderBlock.Buffers b = Buffers.of(act).kept.made(i);
        return b == null ? null : b.out();
    }

    /**
     * x: [B·T, D] embedded decoder input; encoderHidden: [B·L, D]; the result is before any tied-embedding
     * rescale. With keep, each block's activations stay in their own buffers.
     */
    public Pass forward(Kernels kr, Activations act, boolean keep, INDArray x, int batch, int len,
                        INDArray encoderHidden, int encLen, AttentionMask encoderMask, Dropout dropout) {
        BlockDropout.apply(kr, site(dropout, Dropout.Site.EMBED), x);
        Buffers buf = Buffers.of(act);
        int h = positionBias.heads();
        INDArray bias = buf.bias.cached(len, b -> positionBias.compute(len, len, 0, b), h, len, len);
        List<DecoderBlock.Saved> saved = new ArrayList<>();
        INDArray cur = x;
        for (int i = 0; i < blocks.size(); i++) {
            DecoderBlock.Saved s = blocks.get(i).forward(kr, act, keep ? buf.kept.get(i) : buf.shared, cur, batch, len,
                    encoderHidden, encLen, bias, encoderMask, BlockDropout.of(dropout, 1, i));
            if (keep) {
                saved.add(s);
            }
            cur = s.out();
        }
        INDArray out = buf.hidden.get(x.size(0), x.size(1));
        finalLayerNorm.forward(kr, cur, out);
        BlockDropout.apply(kr, site(dropout, Dropout.Site.FINAL), out);
        return new Pass(out, saved, cur, batch, dropout);
    }

    private static Dropout site(Dropout step, Dropout.Site s) {
        return step.active() ? step.at(step.site(1, -1, s)) : Dropout.NONE;
    }

    /**
     * Inverts the decoder down to H_enc: dHidden [B·T, D] (after the final norm) is consumed; the gradient
     * with respect to the encoder output is written to dEncoderHidden [B·L, D]. The decoder's own input
     * (embeddings of frozen tokens) gets no gradient.
     */
    public void backward(Kernels kr, Activations act, Pass pass, INDArray dHidden, INDArray dEncoderHidden) {
        if (pass.saved().size() != blocks.size()) {
            throw new IllegalStateException("the decoder pass kept nothing to run backward from (forward with keep)");
        }
        dEncoderHidden.assign(0);
        INDArray dx = Buffers.of(act).dx.get(dHidden.shape());
        BlockDropout.apply(kr, site(pass.dropout(), Dropout.Site.FINAL), dHidden);
        finalLayerNorm.backward(kr, pass.finalInput(), dHidden, dx, false);
        for (int i = blocks.size() - 1; i >= 0; i--) {
            blocks.get(i).backward(kr, act, pass.saved().get(i), dx, pass.batch(), dEncoderHidden);
        }
    }

    /** Bytes held by the blocks' projections. */
    public long heldBytes() {
        return blocks.stream().mapToLong(b -> b.heldBytes()).sum();
    }
}
