package dev.t5pt.kernels;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every fast kernel against its ND4J-op twin on random shapes, including odd widths and views. */
class KernelTwinsTest {
    final Kernels fast = new VectorKernels();
    final Kernels ref = new Nd4jKernels();
    final Random rnd = new Random(42);

    INDArray randn(long... shape) {
        Nd4j.getRandom().setSeed(rnd.nextLong());
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    /** The same shape and the same floats, bit for bit (INDArray.equals allows a difference of 1e-5). */
    static void sameBits(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(expected.dup('c').data().asFloat(), actual.dup('c').data().asFloat(), what);
    }

    static void close(INDArray a, INDArray b, double tol) {
        assertEquals(a.shapeInfoToString().split("Rank")[0], b.shapeInfoToString().split("Rank")[0]);
        double err = a.sub(b).amaxNumber().doubleValue() / Math.max(1e-30, b.amaxNumber().doubleValue());
        assertTrue(err <= tol, "norm-wise error " + err);
    }

    @Test
    void rmsNorm() {
        for (int d : new int[]{1, 7, 16, 48, 67, 512}) {
            INDArray x = randn(5, d);
            INDArray w = randn(d);
            INDArray a = Nd4j.create(DataType.FLOAT, 5, d);
            INDArray b = Nd4j.create(DataType.FLOAT, 5, d);
            fast.rmsNorm(x, w, 1e-6f, a);
            ref.rmsNorm(x, w, 1e-6f, b);
            close(a, b, 1e-6);
        }
    }

    @Test
    void softmaxWithBiasAndEveryMask() {
        int heads = 3;
        for (int lk : new int[]{1, 5, 17, 64}) {
            int batch = 2;
            int lq = 4;
            INDArray bias = randn(heads, lq, lk);
            int[][] mask = new int[batch][lk];
            for (int j = 0; j < lk; j++) {
                mask[0][j] = j < Math.max(1, lk - 3) ? 1 : 0;
                mask[1][j] = rnd.nextBoolean() || j == 0 ? 1 : 0;
            }
            AttentionMask[] masks = {AttentionMask.NONE, AttentionMask.KeyPadding.of(mask), new AttentionMask.Causal(0),
                    new AttentionMask.Causal(Math.max(0, lk - lq))};
            for (AttentionMask m : masks) {
                for (INDArray bs : new INDArray[]{bias, null}) {
                    INDArray s = randn(batch * heads, lq, lk).muli(3);
                    INDArray a = s.dup();
                    INDArray b = s.dup();
                    fast.softmax(a, bs, m, heads);
                    ref.softmax(b, bs, m, heads);
                    close(a, b, 1e-6);
                    // the fused scores + softmax: the very same floats as the two steps, and the ND4J twin's
                    for (int rows : new int[]{lq, 2}) {
                        INDArray q = randn(batch * heads, rows, 16);
                        INDArray k = randn(batch * heads, lk, 16);
                        INDArray fused = Nd4j.create(DataType.FLOAT, batch * heads, rows, lk);
                        INDArray steps = Nd4j.create(DataType.FLOAT, batch * heads, rows, lk);
                        INDArray twin = Nd4j.create(DataType.FLOAT, batch * heads, rows, lk);
                        INDArray rowBias = bs == null ? null : bs.get(NDArrayIndex.all(), NDArrayIndex.interval(0, rows),
                                NDArrayIndex.all()).dup('c');
                        fast.attentionProbs(q, k, rowBias, m, heads, fused);
                        fast.batchedMatmul(q, false, k, true, steps);
                        fast.softmax(steps, rowBias, m, heads);
                        sameBits(steps, fused, "fused attention probabilities");
                        ref.attentionProbs(q, k, rowBias, m, heads, twin);
                        close(fused, twin, 1e-5);
                        // and with P·V a head at a time: the floats of attentionProbs then batchedMatmul
                        INDArray v = randn(batch * heads, lk, 16);
                        INDArray ctx = Nd4j.create(DataType.FLOAT, batch * heads, rows, 16);
                        INDArray ctxSteps = Nd4j.create(DataType.FLOAT, batch * heads, rows, 16);
                        INDArray ctxTwin = Nd4j.create(DataType.FLOAT, batch * heads, rows, 16);
                        fast.attention(q, k, v, rowBias, m, heads, fused, ctx);
                        fast.batchedMatmul(steps, false, v, false, ctxSteps);
                        sameBits(steps, fused, "probabilities kept by the fused attention");
                        sameBits(ctxSteps, ctx, "fused attention context");
                        ref.attention(q, k, v, rowBias, m, heads, twin, ctxTwin);
                        close(ctx, ctxTwin, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void fullyPaddedRowAttendsUniformlyWithoutNaN() {
        int lk = 6;
        int[][] mask = {{0, 0, 0, 0, 0, 0}};
        for (Kernels k : new Kernels[]{fast, ref}) {
            INDArray s = randn(2, 3, lk);
            k.softmax(s, randn(2, 3, lk), AttentionMask.KeyPadding.of(mask), 2);
            assertFalse(s.isNaN().any(), k.name());
            close(s, Nd4j.valueArrayOf(new long[]{2, 3, lk}, 1f / lk, DataType.FLOAT), 1e-6);
        }
    }

    @Test
    void residualAddIncludingInPlace() {
        for (int n : new int[]{1, 13, 512, 40000}) {  // 40000·3 floats: split over the cores
            INDArray x = randn(3, n);
            INDArray y = randn(3, n);
            INDArray a = Nd4j.create(DataType.FLOAT, 3, n);
            INDArray b = Nd4j.create(DataType.FLOAT, 3, n);
            fast.add(x, y, a);
            ref.add(x, y, b);
            sameBits(b, a, "add");
            INDArray inPlace = x.dup();
            fast.add(inPlace, y, inPlace);
            sameBits(b, inPlace, "add in place");
        }
    }

    @Test
    void reluAndGeluGate() {
        for (int n : new int[]{1, 13, 96, 1000}) {
            INDArray x = randn(3, n).muli(4);
            INDArray a = x.dup();
            INDArray b = x.dup();
            fast.relu(a);
            ref.relu(b);
            sameBits(b, a, "relu");
            INDArray lin = randn(3, n);
            INDArray oa = Nd4j.create(DataType.FLOAT, 3, n);
            INDArray ob = Nd4j.create(DataType.FLOAT, 3, n);
            fast.geluGate(x, lin, oa);
            ref.geluGate(x, lin, ob);
            close(oa, ob, 1e-6);
        }
        // gelu_new(1) = 0.8411920 (tanh approximation); libnd4j's PreciseGELU would give 0.8314
        INDArray one = Nd4j.createFromArray(new float[][]{{1f}});
        INDArray out = Nd4j.create(DataType.FLOAT, 1, 1);
        fast.geluGate(one, one, out);
        assertEquals(0.8411920, out.getDouble(0), 1e-6);
    }

    @Test
    void headSplitMergeGatherCopyIntoViews() {
        int batch = 2;
        int heads = 3;
        int k = 5;
        int len = 4;
        INDArray src = randn(batch * len, heads * k);
        INDArray a = Nd4j.create(DataType.FLOAT, batch * heads, 7, k);
        INDArray b = Nd4j.create(DataType.FLOAT, batch * heads, 7, k);
        fast.splitHeads(src, 0, a, batch, 2);
        ref.splitHeads(src, 0, b, batch, 2);
        sameBits(b, a, "split heads");
        INDArray heads3 = randn(batch * heads, len, k);
        INDArray ma = Nd4j.create(DataType.FLOAT, batch * len, heads * k);
        INDArray mb = Nd4j.create(DataType.FLOAT, batch * len, heads * k);
        fast.mergeHeads(heads3, ma, 0, batch);
        ref.mergeHeads(heads3, mb, 0, batch);
        sameBits(mb, ma, "merge heads");
        // a fused Q|K|V row layout: three head groups side by side, each split and merged at its column
        INDArray fused = randn(batch * len, 3 * heads * k);
        for (int g = 0; g < 3; g++) {
            INDArray fa = Nd4j.create(DataType.FLOAT, batch * heads, len, k);
            INDArray fb = Nd4j.create(DataType.FLOAT, batch * heads, len, k);
            fast.splitHeads(fused, g * heads * k, fa, batch, 0);
            ref.splitHeads(fused, g * heads * k, fb, batch, 0);
            sameBits(fb, fa, "split from a fused row");
            INDArray back = Nd4j.create(DataType.FLOAT, batch * len, 3 * heads * k);
            INDArray backRef = Nd4j.create(DataType.FLOAT, batch * len, 3 * heads * k);
            fast.mergeHeads(fa, back, g * heads * k, batch);
            ref.mergeHeads(fb, backRef, g * heads * k, batch);
            sameBits(backRef, back, "merge into a fused row");
            INDArray cols = fused.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(g * heads * k, (g + 1) * heads * k));
            assertEquals(cols, back.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(g * heads * k, (g + 1) * heads * k)));
        }
        INDArray table = randn(10, 6);
        int[] ids = {3, 0, 9, 3};
        INDArray ga = Nd4j.create(DataType.FLOAT, 6, 6);
        INDArray gb = Nd4j.create(DataType.FLOAT, 6, 6);
        fast.gatherRows(table, ids, ga, 1);
        ref.gatherRows(table, ids, gb, 1);
        sameBits(gb, ga, "gather rows");
        INDArray rows = randn(2, 6);
        fast.copyRows(rows, ga, 4);
        ref.copyRows(rows, gb, 4);
        sameBits(gb, ga, "copy rows");
        // a row view of a larger buffer (offset ≠ 0) as destination
        INDArray big = Nd4j.create(DataType.FLOAT, 20, 6);
        INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(10, 16), org.nd4j.linalg.indexing.NDArrayIndex.all());
        fast.gatherRows(table, ids, view, 1);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(table.getRow(ids[i]), big.getRow(11 + i), "row " + i);
        }
        assertEquals(0.0, big.getRow(10).sumNumber().doubleValue(), "row before untouched");
    }

    @Test
    void crossEntropy() {
        INDArray logits = randn(6, 37).muli(5);
        int[] labels = {0, 36, -100, 5, 5, -100};
        double a = fast.crossEntropySum(logits, labels, -100);
        double b = ref.crossEntropySum(logits, labels, -100);
        assertEquals(b, a, 1e-5 * Math.abs(b));
        // by hand for row 0
        double[] r = logits.getRow(0).toDoubleVector();
        double lse = 0;
        for (double v : r) {
            lse += Math.exp(v);
        }
        double row0 = Math.log(lse) - r[0];
        assertTrue(a > row0);
    }

    @Test
    void backwardKernels() {
        for (int d : new int[]{1, 7, 48, 67}) {
            INDArray x = randn(5, d);
            INDArray w = randn(d);
            INDArray dy = randn(5, d);
            for (boolean acc : new boolean[]{false, true}) {
                INDArray a = randn(5, d);
                INDArray b = a.dup();
                fast.rmsNormBackward(x, w, 1e-6f, dy, a, acc);
                ref.rmsNormBackward(x, w, 1e-6f, dy, b, acc);
                close(a, b, 1e-5);
            }
        }
        for (int lk : new int[]{1, 9, 40}) {
            INDArray s = randn(6, 3, lk);
            int[][] mask = {{1}, {1}};
            if (lk > 1) {
                mask = new int[2][lk];
                for (int j = 0; j < lk; j++) {
                    mask[0][j] = 1;
                    mask[1][j] = j < lk / 2 ? 1 : 0;
                }
            }
            fast.softmax(s, null, AttentionMask.KeyPadding.of(mask), 3);
            INDArray dp = randn(6, 3, lk);
            INDArray a = dp.dup();
            INDArray b = dp.dup();
            fast.softmaxBackward(s, a);
            ref.softmaxBackward(s, b);
            close(a, b, 1e-5);
        }
        for (int n : new int[]{3, 17, 100}) {
            INDArray y = randn(2, n);
            fast.relu(y);
            INDArray dy = randn(2, n);
            INDArray a = dy.dup();
            INDArray b = dy.dup();
            fast.reluBackward(y, a);
            ref.reluBackward(y, b);
            assertEquals(b, a, "relu backward"); // values: ND4J's twin gives −0 where t5pt writes +0
            INDArray g = randn(2, n).muli(3);
            INDArray lin = randn(2, n);
            INDArray ga = Nd4j.create(DataType.FLOAT, 2, n);
            INDArray la = Nd4j.create(DataType.FLOAT, 2, n);
            INDArray gb = Nd4j.create(DataType.FLOAT, 2, n);
            INDArray lb = Nd4j.create(DataType.FLOAT, 2, n);
            fast.geluGateBackward(g, lin, dy, ga, la);
            ref.geluGateBackward(g, lin, dy, gb, lb);
            close(ga, gb, 1e-5);
            close(la, lb, 1e-5);
        }
        INDArray logits = randn(4, 33).muli(4);
        int[] labels = {32, -100, 0, 7};
        INDArray a = Nd4j.create(DataType.FLOAT, 4, 33);
        INDArray b = Nd4j.create(DataType.FLOAT, 4, 33);
        fast.crossEntropyBackward(logits, labels, -100, 1.0 / 3, a);
        ref.crossEntropyBackward(logits, labels, -100, 1.0 / 3, b);
        close(a, b, 1e-5);
        assertEquals(0.0, a.getRow(1).amaxNumber().doubleValue());
    }

    @Test
    void dropoutMasksAgreeAndHaveTheirRate() {
        INDArray x = randn(300, 300);  // large enough to be split over the cores
        INDArray a = x.dup();
        INDArray b = x.dup();
        fast.dropout(a, 0.25f, 1234L, 0);
        ref.dropout(b, 0.25f, 1234L, 0);
        close(a, b, 1e-6);
        for (float rate : new float[]{0.1f, 0.5f, 0x1p-24f, 1f - 0x1p-24f}) {  // vector lanes and a tail of 3
            INDArray odd = randn(7, 13);
            INDArray oddRef = odd.dup();
            fast.dropout(odd, rate, 99L, 0);
            ref.dropout(oddRef, rate, 99L, 0);
            assertEquals(oddRef, odd, "dropout at rate " + rate);
        }
        // a slice keyed at its offset drops exactly what the whole array drops there (micro-batches)
        INDArray tail = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(100, 300), org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
        INDArray tailRef = tail.dup();
        fast.dropout(tail, 0.25f, 1234L, 100L * 300);
        ref.dropout(tailRef, 0.25f, 1234L, 100L * 300);
        sameBits(a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(100, 300), org.nd4j.linalg.indexing.NDArrayIndex.all()), tail,
                "a slice dropped at its offset");
        assertEquals(tail, tailRef);
        double dropped = a.eq(0).castTo(DataType.FLOAT).meanNumber().doubleValue();
        assertEquals(0.25, dropped, 0.02);
        INDArray kept = x.mul(1 / 0.75f);
        for (int i = 0; i < 100; i++) {
            float v = a.getFloat(0, i);
            assertTrue(v == 0f || Math.abs(v - kept.getFloat(0, i)) < 1e-5);
        }
    }

    @Test
    void matVecAgreesWithGemm() {
        for (int[] dims : new int[][]{{1, 512, 2048}, {3, 37, 100}, {4, 5, 1}}) {
            INDArray x = randn(dims[0], dims[1]);
            INDArray w = randn(dims[2], dims[1]);
            INDArray a = Nd4j.create(DataType.FLOAT, dims[0], dims[2]);
            INDArray b = Nd4j.create(DataType.FLOAT, dims[0], dims[2]);
            fast.matVec(x, w, a);
            ref.matVec(x, w, b);
            close(a, b, 1e-5);
        }
    }


    /**
     * A float32 weight's projection (packed for oneDNN where it is used) gives the bits of the GEMM over the same
     * dense weight — what a bfloat16 weight's upcast runs — for widths that are and are not multiples of a vector,
     * up to T5-base's d_ff: the bf16-held-equals-f32 contract for any model's shapes.
     */
    @Test
    void projectGivesTheGemmsBitsForManyShapes() {
        int[] ns = {7, 48, 96, 144, 160, 512};
        for (int k : new int[]{8, 20, 40, 44, 48, 100, 384, 640, 3072}) {
            for (int m : new int[]{5, 28, 228}) {
                int n = ns[rnd.nextInt(ns.length)];
                INDArray x = randn(m, k);
                INDArray w = randn(n, k);
                INDArray viaProject = Nd4j.create(DataType.FLOAT, m, n);
                INDArray viaGemm = Nd4j.create(DataType.FLOAT, m, n);
                fast.project(x, w, viaProject);
                fast.gemm(x, w, true, viaGemm, false);
                assertArrayEquals(viaGemm.data().asFloat(), viaProject.data().asFloat(), m + "x" + k + "x" + n);
            }
        }
    }

    /**
     * The projections' GEMM (oneDNN where it has brgemm kernels, else OpenBLAS) against ND4J's: both layouts of
     * b, accumulating or not, odd sizes, and a weight whose rows are strided (a column slice of a wider array).
     */
    @Test
    void gemmAgreesWithNd4jInBothLayoutsAndOnStridedViews() {
        for (int[] dims : new int[][]{{5, 3, 7}, {28, 48, 160}, {37, 100, 67}, {300, 512, 96}}) {
            int m = dims[0], k = dims[1], n = dims[2];
            INDArray x = randn(m, k);
            INDArray wide = randn(n + 9, k + 5);
            INDArray w = wide.get(NDArrayIndex.interval(4, 4 + n), NDArrayIndex.interval(2, 2 + k)); // [n, k], rows strided
            INDArray wKn = randn(k, n);
            for (boolean transB : new boolean[]{true, false}) {
                INDArray b = transB ? w : wKn;
                for (boolean accumulate : new boolean[]{false, true}) {
                    INDArray start = randn(m, n);
                    INDArray a = start.dup();
                    INDArray r = start.dup();
                    fast.gemm(x, b, transB, a, accumulate);
                    ref.gemm(x, b, transB, r, accumulate);
                    close(a, r, 1e-5);
                    // the same shapes and strides in other buffers: the same bits (a bf16 weight's upcast vs the f32 weight)
                    INDArray otherB = transB
                            ? wide.dup().get(NDArrayIndex.interval(4, 4 + n), NDArrayIndex.interval(2, 2 + k)) : wKn.dup();
                    INDArray a2 = start.dup();
                    fast.gemm(x.dup(), otherB, transB, a2, accumulate);
                    assertArrayEquals(a.data().asFloat(), a2.data().asFloat());
                    if (transB && !accumulate) {
                        // a frozen weight's projection (oneDNN: through a packed copy of it, made on first use):
                        // the bits of the GEMM over the same weight stored densely (a bf16 weight's f32 upcast)
                        INDArray dense = b.dup();
                        INDArray viaGemm = Nd4j.create(DataType.FLOAT, m, n);
                        fast.gemm(x, dense, true, viaGemm, false);
                        for (int twice = 0; twice < 2; twice++) {
                            INDArray p = Nd4j.create(DataType.FLOAT, m, n);
                            fast.project(x, dense, p);
                            assertArrayEquals(viaGemm.data().asFloat(), p.data().asFloat(), "project " + m + "x" + k + "x" + n);
                            close(p, r, 1e-5);
                        }
                    }
                }
            }
        }
    }
    @Test
    void batchedMatmulAgreesWithNd4jInEveryTransposition() {
        // odd sizes: row tails (M not a multiple of the tile's 6 rows), column tails (N not a multiple of the vector
        // width), b exactly one column panel wide (P·V: 228×228·228×64; 48 = three vectors), several panels and a
        // last one of 2, 3 (228) or 4 (250) vectors; narrow c whose padded last panel spills over several rows
        // (5 and 20 columns). c starts as NaN, so an element the kernel does not write shows; with add, c starts
        // random and the product is added to it.
        for (int[] d : new int[][]{{3, 7, 5, 9}, {16, 228, 64, 228}, {2, 1, 64, 13}, {5, 33, 17, 70}, {4, 2, 21, 19},
                {8, 1, 64, 128}, {3, 230, 228, 64}, {3, 9, 40, 48}, {2, 13, 70, 200}, {2, 8, 33, 250}, {3, 40, 7, 5},
                {3, 12, 9, 20}}) {
            int n = d[0], m = d[1], k = d[2], cols = d[3];
            for (boolean ta : new boolean[]{false, true}) {
                for (boolean tb : new boolean[]{false, true}) {
                    INDArray a = ta ? randn(n, k, m) : randn(n, m, k);
                    INDArray b = tb ? randn(n, cols, k) : randn(n, k, cols);
                    INDArray x = Nd4j.valueArrayOf(new long[]{n, m, cols}, Float.NaN, DataType.FLOAT);
                    INDArray y = Nd4j.create(DataType.FLOAT, n, m, cols);
                    fast.batchedMatmul(a, ta, b, tb, x);
                    ref.batchedMatmul(a, ta, b, tb, y);
                    close(x, y, 1e-5);
                    INDArray again = Nd4j.valueArrayOf(new long[]{n, m, cols}, Float.NaN, DataType.FLOAT);
                    fast.batchedMatmul(a, ta, b, tb, again);
                    sameBits(x, again, "bit-reproducible");
                    addsLikeNd4j(a, ta, b, tb, randn(n, m, cols));
                }
            }
        }
    }

    @Test
    void fewRowDotProductsGiveTheBitsOfOneKeyAtATime() {
        // decoding's q·Kᵀ takes four keys per pass over q; each score must be what that key alone gives
        for (int k : new int[]{5, 16, 64, 70}) {
            INDArray q = randn(3, 2, k);
            INDArray keys = randn(3, 11, k);
            INDArray all = Nd4j.create(DataType.FLOAT, 3, 2, 11);
            fast.batchedMatmul(q, false, keys, true, all);
            for (int j = 0; j < 11; j++) {
                INDArray one = Nd4j.create(DataType.FLOAT, 3, 2, 1);
                fast.batchedMatmul(q, false, keys.get(NDArrayIndex.all(), NDArrayIndex.interval(j, j + 1),
                        NDArrayIndex.all()).dup(), true, one);
                sameBits(one, all.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(j, j + 1)),
                        "k " + k + ", key " + j);
            }
        }
    }

    @Test
    void argmaxRowsTakesTheFirstMaximum() {
        INDArray x = randn(3, 1000);
        x.putScalar(0, 7, 50f);
        x.putScalar(0, 900, 50f);   // a tie: the first wins
        x.putScalar(1, 999, 60f);   // the last column
        x.putScalar(2, 0, 70f);     // the first column
        for (Kernels k : new Kernels[]{fast, ref}) {
            int[] out = new int[3];
            k.argmaxRows(x, out);
            assertArrayEquals(new int[]{7, 999, 0}, out, k.name());
        }
    }

    @Test
    void attentionBackwardByHeadsIsTheFiveSteps() {
        // T5-like (decoder self-attention with 2 queries, encoder with row and column tails), the fused kernel
        // gives the very floats of its own five steps, and the ND4J twin's within rounding
        for (int[] d : new int[][]{{6, 2, 2, 16}, {6, 13, 13, 16}, {4, 37, 21, 64}, {2, 230, 228, 64}}) {
            int n = d[0], lq = d[1], lk = d[2], kv = d[3];
            INDArray dCtx = randn(n, lq, kv);
            INDArray q = randn(n, lq, kv);
            INDArray k = randn(n, lk, kv);
            INDArray v = randn(n, lk, kv);
            INDArray probs = randn(n, lq, lk).muli(2);
            fast.softmax(probs, null, AttentionMask.NONE, 1);
            INDArray[] fused = outputs(n, lq, lk, kv);
            INDArray[] steps = outputs(n, lq, lk, kv);
            INDArray[] twin = outputs(n, lq, lk, kv);
            fast.attentionBackward(dCtx, probs, q, k, v, fused[0], fused[1], fused[2], fused[3]);
            fast.batchedMatmul(dCtx, false, v, true, steps[0]);
            fast.batchedMatmul(probs, true, dCtx, false, steps[3]);
            fast.softmaxBackward(probs, steps[0]);
            fast.batchedMatmul(steps[0], false, k, false, steps[1]);
            fast.batchedMatmul(steps[0], true, q, false, steps[2]);
            ref.attentionBackward(dCtx, probs, q, k, v, twin[0], twin[1], twin[2], twin[3]);
            for (int i = 0; i < 4; i++) {
                sameBits(steps[i], fused[i], "output " + i + " of " + java.util.Arrays.toString(d));
                close(fused[i], twin[i], 1e-5);
            }
            // with dropout on P: the ND4J twin's steps, the masks counted over the whole array
            dev.t5pt.model.Dropout drop = new dev.t5pt.model.Dropout(0.2f, 77L);
            INDArray ctx = Nd4j.create(DataType.FLOAT, n, lq, kv);
            INDArray ctxTwin = Nd4j.create(DataType.FLOAT, n, lq, kv);
            INDArray probsKept = Nd4j.create(DataType.FLOAT, n, lq, lk);
            INDArray probsTwin = Nd4j.create(DataType.FLOAT, n, lq, lk);
            INDArray dropped = Nd4j.create(DataType.FLOAT, n, lq, lk);
            INDArray droppedTwin = Nd4j.create(DataType.FLOAT, n, lq, lk);
            fast.attention(q, k, v, null, AttentionMask.NONE, 1, probsKept, ctx, drop, dropped);
            ref.attention(q, k, v, null, AttentionMask.NONE, 1, probsTwin, ctxTwin, drop, droppedTwin);
            close(probsKept, probsTwin, 1e-5);
            close(dropped, droppedTwin, 1e-5);
            close(ctx, ctxTwin, 1e-5);
            fast.attentionBackward(dCtx, probs, q, k, v, fused[0], fused[1], fused[2], fused[3], drop, dropped);
            ref.attentionBackward(dCtx, probs, q, k, v, twin[0], twin[1], twin[2], twin[3], drop, droppedTwin);
            for (int i = 0; i < 4; i++) {
                close(fused[i], twin[i], 1e-5);
            }
        }
    }

    /** dScores [n, lq, lk], dQ [n, lq, kv], dK and dV [n, lk, kv]. */
    private static INDArray[] outputs(int n, int lq, int lk, int kv) {
        return new INDArray[]{Nd4j.create(DataType.FLOAT, n, lq, lk), Nd4j.create(DataType.FLOAT, n, lq, kv),
                Nd4j.create(DataType.FLOAT, n, lk, kv), Nd4j.create(DataType.FLOAT, n, lk, kv)};
    }

    /** c = start + op(a)·op(b) by the fast kernel, checked against ND4J's; returns the fast result. */
    private INDArray addsLikeNd4j(INDArray a, boolean ta, INDArray b, boolean tb, INDArray start) {
        INDArray x = start.dup();
        INDArray y = start.dup();
        fast.batchedMatmul(a, ta, b, tb, x, true);
        ref.batchedMatmul(a, ta, b, tb, y, true);
        close(x, y, 1e-5);
        return x;
    }

    @Test
    void batchedMatmulReusesBPerHeadAndAccumulates() {
        // b holds one matrix per head (nb = 4) for n = 3 batch rows x 4 heads; c += op(a)·op(b[i mod 4])
        for (int[] d : new int[][]{{12, 8, 64, 512}, {12, 3, 5, 9}, {12, 2, 16, 48}, {12, 13, 70, 250}}) {
            int n = d[0], m = d[1], k = d[2], cols = d[3];
            for (boolean tb : new boolean[]{false, true}) {
                INDArray a = randn(n, m, k);
                INDArray b = tb ? randn(4, cols, k) : randn(4, k, cols);
                INDArray start = randn(n, m, cols);
                INDArray x = addsLikeNd4j(a, false, b, tb, start);
                for (int i = 0; i < n; i++) {  // against one plain product per matrix
                    INDArray bi = b.slice(i % 4);
                    INDArray expected = start.slice(i).add(Nd4j.matmul(a.slice(i), tb ? bi.transpose() : bi));
                    close(x.slice(i), expected, 1e-5);
                }
            }
        }
    }
}
