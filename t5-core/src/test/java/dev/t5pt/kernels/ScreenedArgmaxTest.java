package dev.t5pt.kernels;

import dev.t5pt.weights.Frozen;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The screened argmax of x·Wᵀ ({@link VectorKernels#argmaxOfProduct}) against matVec then argmaxRows: the same
 * ids on random products, exact ties, near ties, odd widths, zero and non-finite inputs; and the bound of
 * {@link QuantizedRows} holds while leaving only a handful of candidates.
 */
class ScreenedArgmaxTest {
    final VectorKernels fast = new VectorKernels();
    final Random rnd = new Random(7);

    INDArray randn(long... shape) {
        Nd4j.getRandom().setSeed(rnd.nextLong());
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    int[] full(INDArray x, INDArray w) {
        INDArray y = Nd4j.create(DataType.FLOAT, x.size(0), w.size(0));
        int[] out = new int[(int) x.size(0)];
        fast.matVec(x, w, y);
        fast.argmaxRows(y, out);
        return out;
    }

    int[] screened(INDArray x, INDArray w) {
        int[] out = new int[(int) x.size(0)];
        fast.argmaxOfProduct(x, new Frozen.F32(w), QuantizedRows.of(w), Nd4j.create(DataType.FLOAT, x.size(0), w.size(0)), out);
        return out;
    }

    @Test
    void bf16HeadsPickWhatTheirFullProductPicks() {
        for (int d : new int[]{15, 16, 100, 512}) {
            for (int v : new int[]{3, 257, 4099}) {
                Frozen.Bf16 w = Frozen.Bf16.of(randn(v, d));
                for (int n = 1; n <= Kernels.MATVEC_MAX_ROWS; n++) {
                    INDArray x = randn(n, d);
                    INDArray y = Nd4j.create(DataType.FLOAT, n, v);
                    int[] full = new int[n];
                    fast.matVec(x, w, y);
                    fast.argmaxRows(y, full);
                    int[] out = new int[n];
                    fast.argmaxOfProduct(x, w, QuantizedRows.of(w, fast), Nd4j.create(DataType.FLOAT, n, v), out);
                    assertArrayEquals(full, out, "V=" + v + " D=" + d + " N=" + n);
                }
            }
        }
    }

    @Test
    void sameIdsAsTheFullProduct() {
        for (int d : new int[]{1, 15, 16, 100, 512}) {
            for (int v : new int[]{1, 3, 257, 4099}) {
                INDArray w = randn(v, d);
                for (int n = 1; n <= Kernels.MATVEC_MAX_ROWS; n++) {
                    INDArray x = randn(n, d);
                    assertArrayEquals(full(x, w), screened(x, w), "V=" + v + " D=" + d + " N=" + n);
                }
            }
        }
    }

    @Test
    void tiesGoToTheFirstRowAndNearTiesAreResolvedExactly() {
        int d = 64;
        int v = 1000;
        INDArray w = randn(v, d).muli(0.1);
        INDArray x = randn(1, d);
        INDArray winner = randn(1, d);
        w.putRow(700, winner);
        w.putRow(300, winner);                      // an exact tie: the first row wins
        int[] ids = screened(x.assign(winner), w);
        assertArrayEquals(full(x, w), ids);
        assertArrayEquals(new int[]{300}, ids);
        INDArray near = winner.dup();
        near.putScalar(0, 5, near.getFloat(0, 5) * (1 + 1e-6f)); // differs below the 8-bit copy's resolution
        w.putRow(900, near);
        for (int i = 0; i < 20; i++) {
            INDArray xi = winner.add(randn(1, d).muli(1e-3));
            assertArrayEquals(full(xi, w), screened(xi, w));
        }
    }

    @Test
    void zeroAndNonFiniteInputsFallBackToTheFullProduct() {
        INDArray w = randn(300, 32);
        INDArray zero = Nd4j.zeros(DataType.FLOAT, 2, 32);
        assertArrayEquals(full(zero, w), screened(zero, w));
        INDArray nan = randn(2, 32);
        nan.putScalar(1, 3, Float.NaN);
        assertArrayEquals(full(nan, w), screened(nan, w));
        INDArray x = randn(1, 32);
        w.putScalar(0, 0, Float.NaN);                // a NaN row 0 wins every argmaxRows
        assertArrayEquals(full(x, w), screened(x, w));
        w.putScalar(0, 0, 0f);
        w.putScalar(150, 4, Float.POSITIVE_INFINITY);
        assertArrayEquals(full(x, w), screened(x, w));
    }

    @Test
    void theBoundHoldsAndLeavesFewCandidates() {
        int d = 512;
        int v = 32128;                                // T5's head
        INDArray w = randn(v, d).muli(1.0 / Math.sqrt(d));
        QuantizedRows q = QuantizedRows.of(w);
        INDArray exact = Nd4j.create(DataType.FLOAT, 1, v);
        INDArray approx = Nd4j.create(DataType.FLOAT, 1, v);
        for (int trial = 0; trial < 5; trial++) {
            INDArray x = randn(1, d);
            fast.matVec(x, w, exact);
            fast.argmaxOfProduct(x, new Frozen.F32(w), q, approx, new int[1]);  // leaves the approximations in approx
            double norm = x.norm2Number().doubleValue();
            double maxLower = Double.NEGATIVE_INFINITY;
            for (int o = 0; o < v; o++) {
                double slack = norm * q.bound[o];
                double err = Math.abs(exact.getFloat(0, o) - approx.getFloat(0, o));
                assertTrue(err <= slack, "row " + o + ": error " + err + " above the bound " + slack);
                maxLower = Math.max(maxLower, approx.getFloat(0, o) - slack);
            }
            int candidates = 0;
            for (int o = 0; o < v; o++) {
                candidates += approx.getFloat(0, o) + norm * q.bound[o] >= maxLower ? 1 : 0;
            }
            assertTrue(candidates >= 1 && candidates <= 20, candidates + " candidates of " + v);
        }
    }
}
