package dev.t5pt.layers;

import dev.t5pt.GradCheck;
import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.Nd4jKernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Dropout;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layer's backward against central finite differences in double precision on tiny random shapes:
 * the scalar is Σ out ⊙ R for a fixed random R, so dOut = R; norm-wise relative error ≤ 1e-6.
 */
class LayerGradientTest {
    static final double TOL = 1e-6;
    static final double H = 1e-5;
    final Kernels k = new Nd4jKernels();
    long seed = 11;

    INDArray randn(long... shape) {
        Nd4j.getRandom().setSeed(seed++);
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    static double dot(INDArray a, INDArray b) {
        return a.mul(b).sumNumber().doubleValue();
    }

    static void check(String what, INDArray x, INDArray analytic, DoubleSupplier f) {
        double err = GradCheck.error(x, analytic, f, H);
        assertTrue(err <= TOL, what + ": relative error " + err);
    }

    @Test
    void rmsNorm() {
        INDArray x = randn(4, 6);
        RmsNorm norm = new RmsNorm(randn(6), 1e-6f);
        INDArray r = randn(4, 6);
        INDArray y = Nd4j.create(DataType.DOUBLE, 4, 6);
        INDArray dx = Nd4j.create(DataType.DOUBLE, 4, 6);
        norm.backward(k, x, r, dx, false);
        check("rms norm", x, dx, () -> {
            norm.forward(k, x, y);
            return dot(y, r);
        });
        INDArray acc = Nd4j.ones(DataType.DOUBLE, 4, 6);
        norm.backward(k, x, r, acc, true);
        assertTrue(acc.sub(dx).sub(1.0).amaxNumber().doubleValue() < 1e-12, "accumulate adds");
    }

    @Test
    void linearAccumulates() {
        Linear lin = new Linear(randn(5, 3));
        INDArray x = randn(4, 3);
        INDArray r = randn(4, 5);
        INDArray y = Nd4j.create(DataType.DOUBLE, 4, 5);
        INDArray dx = Nd4j.ones(DataType.DOUBLE, 4, 3);
        lin.backward(new Nd4jKernels(), r, dx, true);
        check("linear", x, dx.sub(1.0), () -> {
            lin.forward(k, x, y);
            return dot(y, r);
        });
    }

    @Test
    void feedForwardBothVariants() {
        FeedForward[] ffs = {
                new FeedForward.DenseReluDense(new Linear(randn(7, 4)), new Linear(randn(4, 7))),
                new FeedForward.DenseGatedGeluDense(new Linear(randn(7, 4)), new Linear(randn(7, 4)), new Linear(randn(4, 7)))};
        for (FeedForward ff : ffs) {
            Activations act = new Activations(DataType.DOUBLE);
            INDArray x = randn(5, 4);
            INDArray r = randn(5, 4);
            INDArray y = Nd4j.create(DataType.DOUBLE, 5, 4);
            FeedForward.Buffers buf = new FeedForward.Buffers(act);
            FeedForward.Saved s = ff.forward(k, act, buf, x, Dropout.NONE, y);
            INDArray dx = Nd4j.create(DataType.DOUBLE, 5, 4);
            ff.backward(k, act, s, Dropout.NONE, r, dx);
            check(ff.getClass().getSimpleName(), x, dx, () -> {
                ff.forward(k, act, buf, x, Dropout.NONE, y);
                return dot(y, r);
            });
        }
    }

    Attention attention(int heads, int dKv, int d) {
        int inner = heads * dKv;
        return Attention.of(randn(inner, d), randn(inner, d), randn(inner, d), randn(d, inner), heads, dKv);
    }

    @Test
    void selfAttentionWithBiasAndPaddingOrCausalMask() {
        int b = 2;
        int len = 5;
        int d = 6;
        int heads = 2;
        Attention att = attention(heads, 3, d);
        INDArray bias = randn(heads, len, len);
        AttentionMask[] masks = {AttentionMask.KeyPadding.of(new int[][]{{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}}),
                new AttentionMask.Causal(0), AttentionMask.NONE};
        for (AttentionMask mask : masks) {
            Activations act = new Activations(DataType.DOUBLE);
            INDArray x = randn(b * len, d).muli(0.5);
            INDArray r = randn(b * len, d);
            INDArray y = Nd4j.create(DataType.DOUBLE, b * len, d);
            Attention.Buffers buf = new Attention.Buffers(act);
            Attention.Saved s = att.forward(k, act, buf, x, x, b, len, len, bias, mask, Dropout.NONE, y);
            INDArray dx = Nd4j.create(DataType.DOUBLE, b * len, d);
            att.backward(k, act, s, r, b, dx, dx);
            check("self-attention " + mask, x, dx, () -> {
                att.forward(k, act, buf, x, x, b, len, len, bias, mask, Dropout.NONE, y);
                return dot(y, r);
            });
        }
    }

    @Test
    void crossAttentionGradientReachesBothInputs() {
        int b = 2;
        int lq = 3;
        int lk = 4;
        int d = 6;
        Attention att = attention(2, 3, d);
        AttentionMask mask = AttentionMask.KeyPadding.of(new int[][]{{1, 1, 1, 1}, {1, 1, 0, 0}});
        Activations act = new Activations(DataType.DOUBLE);
        INDArray x = randn(b * lq, d).muli(0.5);
        INDArray enc = randn(b * lk, d).muli(0.5);
        INDArray r = randn(b * lq, d);
        INDArray y = Nd4j.create(DataType.DOUBLE, b * lq, d);
        Attention.Buffers buf = new Attention.Buffers(act);
        Attention.Saved s = att.forward(k, act, buf, x, enc, b, lq, lk, null, mask, Dropout.NONE, y);
        INDArray dx = Nd4j.create(DataType.DOUBLE, b * lq, d);
        INDArray dEnc = Nd4j.zeros(DataType.DOUBLE, b * lk, d);
        att.backward(k, act, s, r, b, dx, dEnc);
        DoubleSupplier f = () -> {
            att.forward(k, act, buf, x, enc, b, lq, lk, null, mask, Dropout.NONE, y);
            return dot(y, r);
        };
        check("cross-attention dx", x, dx, f);
        check("cross-attention dEnc", enc, dEnc, f);
        // padded encoder positions get no gradient
        assertTrue(dEnc.getRow(b * lk - 1).amaxNumber().doubleValue() == 0.0);

        // the same attention with the projections on the query side: same output, same gradients
        INDArray yProjected = y.dup();
        Attention.Saved a = att.forwardAbsorbed(k, act, buf, x, enc, b, lq, lk, mask, Dropout.NONE, y);
        assertTrue(a instanceof Attention.Absorbed);
        assertTrue(y.equalsWithEps(yProjected, 1e-12), "absorbed forward differs");
        INDArray dxA = Nd4j.create(DataType.DOUBLE, b * lq, d);
        INDArray dEncA = Nd4j.zeros(DataType.DOUBLE, b * lk, d);
        att.backward(k, act, a, r, b, dxA, dEncA);
        assertTrue(dxA.equalsWithEps(dx, 1e-12), "absorbed dx differs");
        assertTrue(dEncA.equalsWithEps(dEnc, 1e-12), "absorbed dEnc differs");
        DoubleSupplier g = () -> {
            att.forwardAbsorbed(k, act, buf, x, enc, b, lq, lk, mask, Dropout.NONE, y);
            return dot(y, r);
        };
        check("absorbed cross-attention dx", x, dxA, g);
        check("absorbed cross-attention dEnc", enc, dEncA, g);
    }

    @Test
    void crossAttentionAbsorbsProjectionsOnlyWhenCheaper() {
        Attention small = attention(8, 64, 512); // T5-small
        assertTrue(small.absorbs(8, 228, 512), "a step's 8 targets over 228 encoder rows");
        assertFalse(small.absorbs(128, 228, 512), "long targets project the keys");
    }

    @Test
    void crossEntropy() {
        INDArray logits = randn(5, 9);
        int[] labels = {3, -100, 0, 8, 3};
        INDArray d = Nd4j.create(DataType.DOUBLE, 5, 9);
        k.crossEntropyBackward(logits, labels, -100, 1.0 / 4, d);
        check("cross-entropy", logits, d, () -> k.crossEntropySum(logits, labels, -100) / 4);
    }
}
