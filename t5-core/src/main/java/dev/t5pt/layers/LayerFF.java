package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Buffer;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF's T5LayerFF, the last sub-layer of every block: out = x + drop(FFN(layer_norm(x))). Legend: N rows,
 * D d_model.
 */
public record LayerFF(RmsNorm layerNorm, FeedForward ff) {

    /** What the sub-layer keeps: its FFN's and its output [N, D]. */
    public static final class Buffers {
        final FeedForward.Buffers ff;
        final Buffer out;

        public Buffers(Activations act) {
            ff = new FeedForward.Buffers(act);
            out = act.buffer();
        }
    }

    /** x: [N, D]; out is buf's output buffer (which may be x's when buf is shared). */
    public Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, Dropout hidden, Dropout output) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray normed = Scratch.of(act).ffIn.get(n, d);
        layerNorm.forward(kr, x, normed);
        INDArray f = Scratch.of(act).ffOut.get(n, d);
        FeedForward.Saved fs = ff.forward(kr, act, buf.ff, normed, hidden, f);
        BlockDropout.apply(kr, output, f);
        INDArray out = buf.out.get(n, d);
        kr.add(x, f, out);
        return new Saved(x, fs, out);
    }

    /** What backward reads: the sub-layer's input and the FFN's own state; and the output. */
    public record Saved(INDArray x, FeedForward.Saved ff, INDArray out) {
    }

    /** Turns dOut [N, D] into the gradient of x, in place (the residual carries dOut on unchanged). */
    public void backward(Kernels kr, Activations act, Saved s, Dropout hidden, Dropout output,
                         INDArray dOut) {
        INDArray dn = Scratch.of(act).gradNormed.get(dOut.size(0), dOut.size(1));
        INDArray dBranch = BlockDropout.branchGradient(kr, act, output, dOut);
        ff.backward(kr, act, s.ff(), hidden, dBranch, dn); // out = x + drop(FFN(ln(x)))
        layerNorm.backward(kr, s.x(), dn, dOut, true);
    }
}
