package dev.t5pt.layers;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import org.nd4j.linalg.api.ndarray.INDArray;

/** T5's position-wise MLP, in its two published forms. Legend: N rows, D d_model, F d_ff. */
public sealed interface FeedForward permits FeedForward.DenseReluDense, FeedForward.DenseGatedGeluDense {

    /** y = FFN(x); x, y: [N, D]. */
    void forward(Kernels kr, Activations act, String scope, INDArray x, INDArray y);

    /** T5 v1.0: y = relu(x·wiᵀ)·woᵀ. */
    record DenseReluDense(Linear wi, Linear wo) implements FeedForward {
        @Override
        public void forward(Kernels kr, Activations act, String scope, INDArray x, INDArray y) {
            INDArray h = act.get(scope + ".h", x.size(0), wi.out()); // [N, F]
            wi.forward(x, h);
            kr.relu(h);
            wo.forward(h, y);
        }
    }

    /** T5 v1.1 / LM-adapted: y = (gelu_new(x·wi_0ᵀ) ⊙ x·wi_1ᵀ)·woᵀ. */
    record DenseGatedGeluDense(Linear wi0, Linear wi1, Linear wo) implements FeedForward {
        @Override
        public void forward(Kernels kr, Activations act, String scope, INDArray x, INDArray y) {
            long n = x.size(0);
            INDArray gate = act.get(scope + ".gate", n, wi0.out()); // [N, F]
            INDArray lin = act.get(scope + ".lin", n, wi1.out());   // [N, F]
            INDArray h = act.get(scope + ".h", n, wi0.out());       // [N, F]
            wi0.forward(x, gate);
            wi1.forward(x, lin);
            kr.geluGate(gate, lin, h);
            wo.forward(h, y);
        }
    }
}
