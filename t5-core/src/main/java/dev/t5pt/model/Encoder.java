package dev.t5pt.model;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.layers.BlockDropout;
import dev.t5pt.layers.EncoderBlock;
import dev.t5pt.layers.RelativePositionBias;
import dev.t5pt.layers.RmsNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The encoder stack: blocks sharing block 0's bidirectional position bias, then a final RMS norm.
 * Legend: B batch, L length (prompt included), D d_model, H heads.
 */
public record Encoder(List<EncoderBlock> blocks, RelativePositionBias positionBias, RmsNorm finalLayerNorm) {

    /**
     * One forward pass: hidden [B·L, D], and what backward needs: every block's
     * saved state (Retain.ALL) or every block's input (Retain.CHECKPOINTS), plus the final norm's input.
     */
    public record Pass(INDArray hidden, Retain retain, List<EncoderBlock.Saved> saved, List<INDArray> inputs,
                       INDArray finalInput, INDArray bias, AttentionMask mask, int batch, int len, Dropout dropout) {
    }

    /** What the encoder keeps in an {@link Activations}. */
    static final class Buffers {
        final Buffer bias;        // [H, L, L] the position bias, recomputed when L changes
        final Buffer finalInput;  // [B·L, D] the final norm's input (Retain.CHECKPOINTS)
        final Buffer hidden;      // [B·L, D] the output
        final Buffer dx;          // [B·L, D] the gradient flowing down in backward
        final PerLayer<Buffer> checkpoints;            // [B·L, D] block i's input (CHECKPOINTS)
        final PerLayer<EncoderBlock.Buffers> kept;     // block i's (Retain.ALL)
        final EncoderBlock.Buffers shared;             // every block's otherwise, and recomputation's

        private Buffers(Activations act) {
            checkpoints = new PerLayer<>(act::buffer);
            kept = new PerLayer<>(() -> new EncoderBlock.Buffers(act));
            bias = act.buffer();
            finalInput = act.buffer();
            hidden = act.buffer();
            dx = act.buffer();
            shared = new EncoderBlock.Buffers(act);
        }

        static Buffers of(Activations act) {
            return act.workspace(Buffers.class, Buffers::new);
        }
    }

    /** Block i's output [B·L, D] from act's last pass that kept every block (Retain.ALL), or null: for dumps. */
    public static INDArray blockOutput(Activations act, int i) {
        EncoderBlock.Buffers b = Buffers.of(act).kept.made(i);
        return b == null ? null : b.out();
    }

    /** x: [B·L, D] embedded input (prompt rows included), dropped out in place when training with dropout. */
    public Pass forward(Kernels kr, Activations act, Retain retain, INDArray x, int batch, int len, AttentionMask mask,
                        Dropout dropout) {
        BlockDropout.apply(kr, site(dropout, Dropout.Site.EMBED), x);
        Buffers buf = Buffers.of(act);
        int h = positionBias.heads();
        INDArray bias = buf.bias.cached(len, b -> positionBias.compute(len, len, 0, b), h, len, len);
        List<EncoderBlock.Saved> saved = new ArrayList<>();
        List<INDArray> inputs = new ArrayList<>();
        INDArray cur = x;
        for (int i = 0; i < blocks.size(); i++) {
            if (retain == Retain.CHECKPOINTS) {
                INDArray in = buf.checkpoints.get(i).get(cur.shape());
                in.assign(cur);
                inputs.add(in);
                cur = in;
            }
            EncoderBlock.Saved s = blocks.get(i).forward(kr, act, retain == Retain.ALL ? buf.kept.get(i) : buf.shared, cur,
                    batch, len, bias, mask, BlockDropout.of(dropout, 0, i));
            if (retain == Retain.ALL) {
                saved.add(s);
            }
            cur = s.out();
        }
        if (retain == Retain.CHECKPOINTS) {
            INDArray last = buf.finalInput.get(cur.shape());
            last.assign(cur);
            cur = last;
        }
        INDArray out = buf.hidden.get(x.size(0), x.size(1));
        finalLayerNorm.forward(kr, cur, out);
        BlockDropout.apply(kr, site(dropout, Dropout.Site.FINAL), out);
        return new Pass(out, retain, saved, inputs, cur, bias, mask, batch, len, dropout);
    }

    private static Dropout site(Dropout step, Dropout.Site s) {
        return step.active() ? step.at(step.site(0, -1, s)) : Dropout.NONE;
    }

    /**
     * Inverts the encoder: dHidden [B·L, D] (consumed) → the gradient of the embedded input, returned in
     * one of act's buffers.
     */
    public INDArray backward(Kernels kr, Activations act, Pass pass, INDArray dHidden) {
        if (pass.retain() == Retain.NOTHING) {
            throw new IllegalStateException("the encoder pass kept nothing to run backward from (use Retain.ALL or CHECKPOINTS)");
        }
        Buffers buf = Buffers.of(act);
        INDArray dx = buf.dx.get(dHidden.shape());
        BlockDropout.apply(kr, site(pass.dropout(), Dropout.Site.FINAL), dHidden);
        finalLayerNorm.backward(kr, pass.finalInput(), dHidden, dx, false);
        for (int i = blocks.size() - 1; i >= 0; i--) {
            EncoderBlock block = blocks.get(i);
            EncoderBlock.Saved s = pass.retain() == Retain.ALL ? pass.saved().get(i)
                    : block.forward(kr, act, buf.shared, pass.inputs().get(i), pass.batch(), pass.len(),
                    pass.bias(), pass.mask(), BlockDropout.of(pass.dropout(), 0, i));
            block.backward(kr, act, s, dx, pass.batch());
        }
        BlockDropout.apply(kr, site(pass.dropout(), Dropout.Site.EMBED), dx);
        return dx;
    }

    /** Bytes held by the blocks' projections. */
    public long heldBytes() {
        return blocks.stream().mapToLong(b -> b.heldBytes()).sum();
    }
}
