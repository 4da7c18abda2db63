package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Buffer;
import dev.t5pt.model.Dropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/** T5's position-wise MLP, in its two published forms. Legend: N rows, D d_model, F d_ff. */
public sealed interface FeedForward permits FeedForward.DenseReluDense, FeedForward.DenseGatedGeluDense {

    /** What backward reads: the activation's input(s) or output, [N, F] each (second one null for ReLU). */
    record Saved(INDArray first, INDArray second) {
    }

    /** What one FFN keeps for its backward: ReLU's output, or the gated GELU's two inputs; [N, F] each. */
    final class Buffers {
        final Buffer relu;
        final Buffer gate;
        final Buffer lin;

        public Buffers(Activations act) {
            relu = act.buffer();
            gate = act.buffer();
            lin = act.buffer();
        }
    }

    /** Bytes held by the projections. */
    long heldBytes();

    /** y = FFN(x) with dropout on the hidden layer; x, y: [N, D]; what backward reads goes to buf. */
    Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, Dropout hidden, INDArray y);

    /** dx = dFFN/dx · dy (written, not added); dy, dx: [N, D]. */
    void backward(Kernels kr, Activations act, Saved saved, Dropout hidden, INDArray dy, INDArray dx);

    private static void drop(Kernels kr, Dropout d, INDArray x) {
        if (d.active()) {
            kr.dropout(x, d.rate(), d.seed(), d.offset(x.length()));
        }
    }

    /** T5 v1.0: y = relu(x·wiᵀ)·woᵀ. */
    record DenseReluDense(Linear wi, Linear wo) implements FeedForward {
        @Override
        public long heldBytes() {
            return wi.weight().heldBytes() + wo.weight().heldBytes();
        }

        @Override
        public Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, Dropout hidden, INDArray y) {
            INDArray h = buf.relu.get(x.size(0), wi.out()); // [N, F]
            wi.forward(kr, x, h);
            kr.relu(h);
            drop(kr, hidden, h); // in place: a dropped unit is 0, as its gradient will be
            wo.forward(kr, h, y);
            return new Saved(h, null);
        }

        @Override
        public void backward(Kernels kr, Activations act, Saved saved, Dropout hidden, INDArray dy, INDArray dx) {
            INDArray dh = Scratch.of(act).gradHidden.get(dy.size(0), wi.out()); // [N, F]
            wo.backward(kr, dy, dh, false);        // y = drop(h)·woᵀ
            drop(kr, hidden, dh);
            kr.reluBackward(saved.first(), dh); // h = relu(x·wiᵀ)
            wi.backward(kr, dh, dx, false);
        }
    }

    /** T5 v1.1 / LM-adapted: y = (gelu_new(x·wi_0ᵀ) ⊙ x·wi_1ᵀ)·woᵀ. */
    record DenseGatedGeluDense(Linear wi0, Linear wi1, Linear wo) implements FeedForward {
        @Override
        public long heldBytes() {
            return wi0.weight().heldBytes() + wi1.weight().heldBytes() + wo.weight().heldBytes();
        }

        @Override
        public Saved forward(Kernels kr, Activations act, Buffers buf, INDArray x, Dropout hidden, INDArray y) {
            long n = x.size(0);
            INDArray gate = buf.gate.get(n, wi0.out()); // [N, F]
            INDArray lin = buf.lin.get(n, wi1.out());   // [N, F]
            INDArray h = Scratch.of(act).ffHidden.get(n, wi0.out());  // [N, F]
            wi0.forward(kr, x, gate);
            wi1.forward(kr, x, lin);
            kr.geluGate(gate, lin, h);
            drop(kr, hidden, h);
            wo.forward(kr, h, y);
            return new Saved(gate, lin);
        }

        @Override
        public void backward(Kernels kr, Activations act, Saved saved, Dropout hidden, INDArray dy, INDArray dx) {
            long n = dy.size(0);
            INDArray dh = Scratch.of(act).gradHidden.get(n, wi0.out());       // [N, F]
            INDArray dGate = Scratch.of(act).gradGate.get(n, wi0.out()); // [N, F]
            INDArray dLin = Scratch.of(act).gradLinear.get(n, wi1.out());   // [N, F]
            wo.backward(kr, dy, dh, false);                                 // y = drop(h)·woᵀ
            drop(kr, hidden, dh);
            kr.geluGateBackward(saved.first(), saved.second(), dh, dGate, dLin); // h = gelu(gate) ⊙ lin
            wi0.backward(kr, dGate, dx, false);                             // gate = x·wi_0ᵀ
            wi1.backward(kr, dLin, dx, true);                               // lin = x·wi_1ᵀ
        }
    }
}
