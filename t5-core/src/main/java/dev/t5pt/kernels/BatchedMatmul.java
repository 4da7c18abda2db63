package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * The attention's products, c[i] = op(a[i])·op(b[i]) for every i of a batch of small matrices (one per batch
 * row and head), as a register-blocked Vector API kernel: each product packs op(b) row-major into a
 * zero-padded heap panel and op(a) row-major, then computes 4×(2 vectors) tiles with broadcast-FMA along the
 * shared dimension. Products are spread over the cores; each output element is summed by one thread in a fixed
 * order, so results are bit-reproducible.
 * Shapes: a [n, M, K] (or [n, K, M] when transA), b [n, K, N] (or [n, N, K] when transB), c [n, M, N].
 */
final class BatchedMatmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();
    private static final ByteOrder LE = ByteOrder.nativeOrder();
    private static final int ROWS = 4;

    /** Per-thread packing panels, grown as needed. */
    private static final ThreadLocal<float[][]> PANELS = ThreadLocal.withInitial(() -> new float[3][0]);

    private BatchedMatmul() {
    }

    static void multiply(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c) {
        int n = (int) c.size(0);
        int m = (int) c.size(1);
        int cols = (int) c.size(2);
        int k = (int) (transA ? a.size(1) : a.size(2));
        long aRows = transA ? a.size(2) : a.size(1);
        long bK = transB ? b.size(2) : b.size(1);
        long bN = transB ? b.size(1) : b.size(2);
        if (a.size(0) != n || b.size(0) != n || aRows != m || bK != k || bN != cols) {
            throw new IllegalArgumentException("batched matmul: a " + java.util.Arrays.toString(a.shape())
                    + (transA ? "ᵀ" : "") + " · b " + java.util.Arrays.toString(b.shape()) + (transB ? "ᵀ" : "")
                    + " does not fit c " + java.util.Arrays.toString(c.shape()));
        }
        ByteBuffer ab = HostMemory.bytes(a);
        ByteBuffer bb = HostMemory.bytes(b);
        ByteBuffer cb = HostMemory.bytes(c);
        int a0 = HostMemory.base(a);
        int b0 = HostMemory.base(b);
        int c0 = HostMemory.base(c);
        IntStream.range(0, n).parallel().forEach(i -> one(ab, a0 + i * m * k * 4, transA, bb, b0 + i * k * cols * 4,
                transB, cb, c0 + i * m * cols * 4, m, k, cols));
    }

    /** c = op(a)·op(b) for one [m, k]·[k, cols] product at the given byte offsets. */
    private static void one(ByteBuffer ab, int aAt, boolean transA, ByteBuffer bb, int bAt, boolean transB,
                            ByteBuffer cb, int cAt, int m, int k, int cols) {
        int pad = (cols + 2 * W - 1) / (2 * W) * (2 * W);
        float[][] panels = PANELS.get();
        if (panels[0].length < k * pad) {
            panels[0] = new float[k * pad];
        }
        if (panels[1].length < m * k) {
            panels[1] = new float[m * k];
        }
        if (panels[2].length < ROWS * pad) {
            panels[2] = new float[ROWS * pad];
        }
        float[] bp = panels[0]; // [k, pad], op(b) row-major, zero columns past cols
        float[] ap = panels[1]; // [m, k], op(a) row-major
        float[] tile = panels[2];
        for (int kk = 0; kk < k; kk++) {
            int row = kk * pad;
            for (int j = 0; j < cols; j++) {
                bp[row + j] = bb.getFloat(bAt + 4 * (transB ? j * k + kk : kk * cols + j));
            }
            for (int j = cols; j < pad; j++) {
                bp[row + j] = 0f;
            }
        }
        for (int r = 0; r < m; r++) {
            for (int kk = 0; kk < k; kk++) {
                ap[r * k + kk] = ab.getFloat(aAt + 4 * (transA ? kk * m + r : r * k + kk));
            }
        }
        int r = 0;
        for (; r + ROWS <= m; r += ROWS) {
            for (int j = 0; j < pad; j += 2 * W) {
                FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
                FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
                FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
                FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
                int a0 = r * k;
                for (int kk = 0; kk < k; kk++) {
                    FloatVector b0 = FloatVector.fromArray(S, bp, kk * pad + j);
                    FloatVector b1 = FloatVector.fromArray(S, bp, kk * pad + j + W);
                    FloatVector x0 = FloatVector.broadcast(S, ap[a0 + kk]);
                    FloatVector x1 = FloatVector.broadcast(S, ap[a0 + k + kk]);
                    FloatVector x2 = FloatVector.broadcast(S, ap[a0 + 2 * k + kk]);
                    FloatVector x3 = FloatVector.broadcast(S, ap[a0 + 3 * k + kk]);
                    c00 = b0.fma(x0, c00);
                    c01 = b1.fma(x0, c01);
                    c10 = b0.fma(x1, c10);
                    c11 = b1.fma(x1, c11);
                    c20 = b0.fma(x2, c20);
                    c21 = b1.fma(x2, c21);
                    c30 = b0.fma(x3, c30);
                    c31 = b1.fma(x3, c31);
                }
                store(cb, cAt, r, j, cols, c00, c01, tile);
                store(cb, cAt, r + 1, j, cols, c10, c11, tile);
                store(cb, cAt, r + 2, j, cols, c20, c21, tile);
                store(cb, cAt, r + 3, j, cols, c30, c31, tile);
            }
        }
        for (; r < m; r++) {
            for (int j = 0; j < pad; j += 2 * W) {
                FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
                for (int kk = 0; kk < k; kk++) {
                    FloatVector x = FloatVector.broadcast(S, ap[r * k + kk]);
                    c0 = FloatVector.fromArray(S, bp, kk * pad + j).fma(x, c0);
                    c1 = FloatVector.fromArray(S, bp, kk * pad + j + W).fma(x, c1);
                }
                store(cb, cAt, r, j, cols, c0, c1, tile);
            }
        }
    }

    /** Writes columns [j, j + 2W) of row r, the part inside cols. */
    private static void store(ByteBuffer cb, int cAt, int r, int j, int cols, FloatVector v0, FloatVector v1,
                              float[] tile) {
        int at = cAt + 4 * (r * cols + j);
        if (j + 2 * W <= cols) {
            v0.intoByteBuffer(cb, at, LE);
            v1.intoByteBuffer(cb, at + 4 * W, LE);
            return;
        }
        v0.intoArray(tile, 0);
        v1.intoArray(tile, W);
        for (int t = 0; t < cols - j; t++) {
            cb.putFloat(at + 4 * t, tile[t]);
        }
    }
}
