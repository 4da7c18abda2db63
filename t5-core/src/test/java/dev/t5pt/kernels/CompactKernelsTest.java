package dev.t5pt.kernels;

import dev.t5pt.weights.Frozen;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compact-weight kernels: bfloat16 upcast and matVec give exactly the bits of the float32 kernels on the
 * upcast matrix; int8 upcast is scale·q exactly (its exact values as they were) and its matVec is within float
 * rounding of the upcast's, a group's rows giving the bits of the same rows alone; the
 * Vector API kernels against their ND4J twins; row views of both formats.
 */
class CompactKernelsTest {
    final Kernels fast = new VectorKernels();
    final Kernels ref = new Nd4jKernels();
    final Random rnd = new Random(7);

    INDArray randn(long... shape) {
        Nd4j.getRandom().setSeed(rnd.nextLong());
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    static INDArray upcast(Kernels k, Frozen w) {
        INDArray out = Nd4j.create(DataType.FLOAT, w.rows(), w.cols());
        k.upcast(w, 0, w.rows(), out, 0);
        return out;
    }

    @Test
    void bf16UpcastIsExactAndTwinsAgree() {
        for (int d : new int[]{1, 7, 16, 67, 512}) {
            INDArray w = randn(37, d);
            Frozen.Bf16 b = Frozen.Bf16.of(w);
            INDArray a = upcast(fast, b);
            assertEquals(a, upcast(ref, b), "Vector API vs ND4J upcast, d=" + d);
            // each value is the nearest bfloat16 of the float: the float with its low 16 bits rounded away
            for (int i = 0; i < 37; i++) {
                for (int j = 0; j < d; j++) {
                    float x = w.getFloat(i, j);
                    float y = a.getFloat(i, j);
                    assertEquals(0, Float.floatToRawIntBits(y) & 0xffff);
                    assertTrue(Math.abs(x - y) <= Math.abs(x) * 0x1p-8, x + " -> " + y);
                }
            }
        }
    }

    @Test
    void bf16MatVecGivesTheBitsOfItsUpcast() {
        for (int d : new int[]{5, 16, 48, 67, 512}) {   // tails of 5, 16, 16 and 3 values after the pair blocks
            for (int n = 1; n <= Kernels.MATVEC_MAX_ROWS; n++) {
                Frozen.Bf16 w = Frozen.Bf16.of(randn(300, d));
                INDArray x = randn(n, d);
                INDArray y = Nd4j.create(DataType.FLOAT, n, 300);
                INDArray y32 = Nd4j.create(DataType.FLOAT, n, 300);
                fast.matVec(x, w, y);
                fast.matVec(x, upcast(fast, w), y32);
                assertArrayEquals(y32.data().asFloat(), y.data().asFloat(), "d=" + d + " n=" + n);
                INDArray yr = Nd4j.create(DataType.FLOAT, n, 300);
                ref.matVec(x, w, yr);
                KernelTwinsTest.close(yr, y, 1e-5);
            }
        }
    }

    @Test
    void int8UpcastAndMatVec() {
        for (int d : new int[]{3, 16, 67, 512}) {
            INDArray w = randn(90, d);
            Frozen.Int8 q = Frozen.Int8.of(w);
            INDArray a = upcast(fast, q);
            assertEquals(a, upcast(ref, q), "Vector API vs ND4J upcast, d=" + d);
            for (int o = 0; o < 90; o++) {
                java.util.Set<Integer> exact = new java.util.HashSet<>();
                for (int k = 0; k < q.exactPerRow(); k++) {
                    exact.add(q.exactCol()[q.exact(o, k)]);
                }
                assertEquals(Math.min(d, Frozen.Int8.EXACT_PER_ROW), exact.size(), "distinct exact columns, d=" + d);
                float rest = 0;                 // the largest magnitude left on the grid, below every exact one
                float smallestExact = Float.POSITIVE_INFINITY;
                for (int j = 0; j < d; j++) {
                    float v = Math.abs(w.getFloat(o, j));
                    if (exact.contains(j)) {
                        smallestExact = Math.min(smallestExact, v);
                    } else {
                        rest = Math.max(rest, v);
                    }
                }
                assertTrue(rest <= smallestExact);
                assertEquals(rest == 0 ? 1 : rest / 127, q.scale(o));
                for (int j = 0; j < d; j++) {   // exact, or within half a step of the row's grid and exactly on it
                    if (exact.contains(j)) {
                        assertEquals(w.getFloat(o, j), a.getFloat(o, j));
                    } else {
                        assertTrue(Math.abs(a.getFloat(o, j) - w.getFloat(o, j)) <= 0.5f * q.scale(o) * 1.0001f);
                        assertEquals(a.getFloat(o, j), q.scale(o) * Math.round(a.getFloat(o, j) / q.scale(o)));
                    }
                }
            }
            INDArray x = randn(3, d);
            INDArray y = Nd4j.create(DataType.FLOAT, 3, 90);
            INDArray yUp = Nd4j.create(DataType.FLOAT, 3, 90);
            INDArray yr = Nd4j.create(DataType.FLOAT, 3, 90);
            fast.matVec(x, q, y);
            fast.matVec(x, a, yUp);
            ref.matVec(x, q, yr);
            KernelTwinsTest.close(yUp, y, 1e-5);
            KernelTwinsTest.close(yr, y, 1e-5);
        }
    }

    @Test
    void int8WithoutExactValuesIsPlainPerRowQuantization() {
        INDArray w = randn(20, 67);
        Frozen.Int8 q = Frozen.Int8.of(w, 0);
        assertEquals(0, q.exactPerRow());
        INDArray a = upcast(fast, q);
        assertEquals(a, upcast(ref, q));
        for (int o = 0; o < 20; o++) {
            assertEquals(w.getRow(o).amaxNumber().floatValue() / 127, q.scale(o));
            for (int j = 0; j < 67; j++) {
                assertEquals(q.scale(o) * Math.round(w.getFloat(o, j) / q.scale(o)), a.getFloat(o, j));
            }
        }
    }

    @Test
    void int8KeepsARowsLargestWeightsExactAndGridsTheRestFiner() {
        INDArray w = randn(16, 64).muli(0.01);
        w.putScalar(3, 5, 1000f);          // one huge weight: on a plain grid it would round the rest of its row to 0
        w.putScalar(3, 60, Float.NaN);     // not finite: kept as it is, and the scale stays finite
        w.putScalar(9, 0, Float.NEGATIVE_INFINITY);
        Frozen.Int8 q = Frozen.Int8.of(w);
        INDArray a = upcast(fast, q);
        assertEquals(1000f, a.getFloat(3, 5));
        assertTrue(Float.isNaN(a.getFloat(3, 60)));
        assertEquals(Float.NEGATIVE_INFINITY, a.getFloat(9, 0));
        for (int o : new int[]{3, 9}) {
            assertTrue(q.scale(o) < 0.1f / 127, "scale " + q.scale(o));
            for (int j = 0; j < 64; j++) {
                if (Float.isFinite(w.getFloat(o, j)) && w.getFloat(o, j) != 1000f) {
                    assertTrue(Math.abs(a.getFloat(o, j) - w.getFloat(o, j)) <= 0.5f * q.scale(o) * 1.0001f);
                }
            }
        }
        INDArray x = randn(2, 64);
        INDArray yAll = Nd4j.create(DataType.FLOAT, 2, 16);
        fast.matVec(x, q, yAll);
        assertTrue(Float.isNaN(yAll.getFloat(0, 3)));
        assertTrue(Math.abs(yAll.getFloat(0, 4) - x.getRow(0).mul(a.getRow(4)).sumNumber().floatValue()) < 1e-5);
    }

    @Test
    void int8ViewsAndStacksMultiplyAsTheirUpcast() {
        // views that start or end inside a group of the interleaved layout, stacks of such views, short last groups
        for (int d : new int[]{5, 16, 40, 67}) {
            Frozen.Int8 q = Frozen.Int8.of(randn(61, d));
            Frozen[] cases = {q, q.rows(0, 8), q.rows(3, 61), q.rows(8, 59), q.rows(13, 14), q.rows(56, 61),
                    Frozen.concatRows(q.rows(3, 21), q.rows(0, 3), q.rows(21, 61)),
                    Frozen.concatRows(q.rows(0, 16), q.rows(16, 61)), Frozen.concatRows(q.rows(8, 61), q.rows(0, 8))};
            for (Frozen w : cases) {
                INDArray a = upcast(fast, w);
                assertEquals(a, upcast(ref, w));
                for (int n = 1; n <= Kernels.MATVEC_MAX_ROWS; n += 2) {
                    INDArray x = randn(n, d);
                    INDArray y = Nd4j.create(DataType.FLOAT, n, w.rows());
                    INDArray yUp = Nd4j.create(DataType.FLOAT, n, w.rows());
                    fast.matVec(x, w, y);
                    fast.matVec(x, a, yUp);
                    KernelTwinsTest.close(yUp, y, 1e-5);
                }
            }
        }
    }

    @Test
    void int8RowsGiveTheSameBitsInWholeGroupsAndAlone() {
        // a view starting inside a group runs its rows one at a time (dotInt8, exactDot), the whole matrix by
        // groups (dotInt8Group, exactGroup): the same sums in the same order
        for (int d : new int[]{5, 40, 67, 512}) {
            Frozen.Int8 q = Frozen.Int8.of(randn(64, d));
            INDArray x = randn(2, d);
            INDArray all = Nd4j.create(DataType.FLOAT, 2, 64);
            fast.matVec(x, q, all);
            INDArray part = Nd4j.create(DataType.FLOAT, 2, 61);
            fast.matVec(x, q.rows(3, 64), part);
            for (int n = 0; n < 2; n++) {
                for (int o = 3; o < 64; o++) {
                    assertEquals(Float.floatToRawIntBits(all.getFloat(n, o)), Float.floatToRawIntBits(part.getFloat(n, o - 3)),
                            "d=" + d + " row " + o);
                }
            }
        }
    }

    @Test
    void rowViewsAndGathers() {
        INDArray w = randn(40, 24);
        for (Frozen f : new Frozen[]{Frozen.Bf16.of(w), Frozen.Int8.of(w)}) {
            INDArray all = upcast(fast, f);
            Frozen mid = f.rows(10, 30);
            assertEquals(all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(10, 30), org.nd4j.linalg.indexing.NDArrayIndex.all()),
                    upcast(fast, mid));
            assertEquals(upcast(ref, mid), upcast(fast, mid));
            Frozen stacked = Frozen.concatRows(f.rows(0, 10), mid, f.rows(30, 40));
            assertEquals(all, upcast(fast, stacked));
            INDArray g = Nd4j.create(DataType.FLOAT, 3, 24);
            fast.gatherRows(f, new int[]{39, 0, 17}, g, 0);
            assertEquals(all.getRow(39), g.getRow(0));
            assertEquals(all.getRow(17), g.getRow(2));
        }
    }
}
