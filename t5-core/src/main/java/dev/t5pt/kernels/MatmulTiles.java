package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;

import java.nio.ByteBuffer;

import static dev.t5pt.kernels.VectorSupport.LE;
import static dev.t5pt.kernels.VectorSupport.S;
import static dev.t5pt.kernels.VectorSupport.W;

/**
 * The register tiles of {@link BatchedMatmul}: {@link #ROWS} rows of op(a)·op(b) against one column panel of the
 * packed b, 4, 3 or 2 vectors wide. Each reads a from the heap copy ap (element (r, kk) at a0 + r·rs + kk·ks, so
 * a transposed a only swaps the strides) and the panel from bp ([k, width] from float panel), sums along k in
 * order from zero, and stores its rows at float o of out with the given row pitch. Legend: k the shared
 * dimension, W the floats per vector.
 */
final class MatmulTiles {
    private MatmulTiles() {
    }

    /** Rows of a tile. */
    static final int ROWS = 6;

    /**
     * Rows r..r+5, columns j..j+4W of op(a)·op(b), stored at float o of out with the given row pitch: 24
     * accumulators from zero, broadcast-FMA along k (with the 4 b vectors and the broadcast, 29 of the 32 vector
     * registers; 178-188 GFLOP/s on one core in cache against 148-166 for the 4×3 tile this replaced). The
     * stores are written out in full: a helper taking the vectors would not be inlined in methods this large
     * (C2's NodeCountInliningCutoff) and would box them; and no branch on how to start (with one, C2 compiled
     * the tiles without their intrinsics in a training step).
     */
    static void tile6x4(float[] ap, int a0, int rs, int ks, float[] bp, int panel, int k, ByteBuffer out,
                                int o, int pitch) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c02 = FloatVector.zero(S);
        FloatVector c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S);
        FloatVector c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c22 = FloatVector.zero(S);
        FloatVector c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c32 = FloatVector.zero(S);
        FloatVector c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c42 = FloatVector.zero(S);
        FloatVector c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c52 = FloatVector.zero(S);
        FloatVector c53 = FloatVector.zero(S);
        for (int kk = 0; kk < k; kk++) {
            int bAt = panel + kk * (4 * W);  // constant stride: no bounds checks in the loop
            FloatVector b0 = FloatVector.fromArray(S, bp, bAt);
            FloatVector b1 = FloatVector.fromArray(S, bp, bAt + W);
            FloatVector b2 = FloatVector.fromArray(S, bp, bAt + 2 * W);
            FloatVector b3 = FloatVector.fromArray(S, bp, bAt + 3 * W);
            int at = a0 + kk * ks;
            FloatVector x = FloatVector.broadcast(S, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            c02 = b2.fma(x, c02);
            c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S, ap[at + rs]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            c12 = b2.fma(x, c12);
            c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S, ap[at + 2 * rs]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            c22 = b2.fma(x, c22);
            c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S, ap[at + 3 * rs]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            c32 = b2.fma(x, c32);
            c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S, ap[at + 4 * rs]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            c42 = b2.fma(x, c42);
            c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S, ap[at + 5 * rs]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            c52 = b2.fma(x, c52);
            c53 = b3.fma(x, c53);
        }
        c00.intoByteBuffer(out, 4 * (o), LE);
        c01.intoByteBuffer(out, 4 * (o + W), LE);
        c02.intoByteBuffer(out, 4 * (o + 2 * W), LE);
        c03.intoByteBuffer(out, 4 * (o + 3 * W), LE);
        c10.intoByteBuffer(out, 4 * (o + pitch), LE);
        c11.intoByteBuffer(out, 4 * (o + pitch + W), LE);
        c12.intoByteBuffer(out, 4 * (o + pitch + 2 * W), LE);
        c13.intoByteBuffer(out, 4 * (o + pitch + 3 * W), LE);
        c20.intoByteBuffer(out, 4 * (o + 2 * pitch), LE);
        c21.intoByteBuffer(out, 4 * (o + 2 * pitch + W), LE);
        c22.intoByteBuffer(out, 4 * (o + 2 * pitch + 2 * W), LE);
        c23.intoByteBuffer(out, 4 * (o + 2 * pitch + 3 * W), LE);
        c30.intoByteBuffer(out, 4 * (o + 3 * pitch), LE);
        c31.intoByteBuffer(out, 4 * (o + 3 * pitch + W), LE);
        c32.intoByteBuffer(out, 4 * (o + 3 * pitch + 2 * W), LE);
        c33.intoByteBuffer(out, 4 * (o + 3 * pitch + 3 * W), LE);
        c40.intoByteBuffer(out, 4 * (o + 4 * pitch), LE);
        c41.intoByteBuffer(out, 4 * (o + 4 * pitch + W), LE);
        c42.intoByteBuffer(out, 4 * (o + 4 * pitch + 2 * W), LE);
        c43.intoByteBuffer(out, 4 * (o + 4 * pitch + 3 * W), LE);
        c50.intoByteBuffer(out, 4 * (o + 5 * pitch), LE);
        c51.intoByteBuffer(out, 4 * (o + 5 * pitch + W), LE);
        c52.intoByteBuffer(out, 4 * (o + 5 * pitch + 2 * W), LE);
        c53.intoByteBuffer(out, 4 * (o + 5 * pitch + 3 * W), LE);
    }

    /** Rows r..r+5, columns j..j+3W: 18 accumulators (the last panel, when 2W < its width ≤ 3W). */
    static void tile6x3(float[] ap, int a0, int rs, int ks, float[] bp, int panel, int k, ByteBuffer out,
                                int o, int pitch) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c32 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c42 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c52 = FloatVector.zero(S);
        for (int kk = 0; kk < k; kk++) {
            int bAt = panel + kk * (3 * W);  // constant stride: no bounds checks in the loop
            FloatVector b0 = FloatVector.fromArray(S, bp, bAt);
            FloatVector b1 = FloatVector.fromArray(S, bp, bAt + W);
            FloatVector b2 = FloatVector.fromArray(S, bp, bAt + 2 * W);
            int at = a0 + kk * ks;
            FloatVector x = FloatVector.broadcast(S, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            c02 = b2.fma(x, c02);
            x = FloatVector.broadcast(S, ap[at + rs]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            c12 = b2.fma(x, c12);
            x = FloatVector.broadcast(S, ap[at + 2 * rs]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            c22 = b2.fma(x, c22);
            x = FloatVector.broadcast(S, ap[at + 3 * rs]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            c32 = b2.fma(x, c32);
            x = FloatVector.broadcast(S, ap[at + 4 * rs]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            c42 = b2.fma(x, c42);
            x = FloatVector.broadcast(S, ap[at + 5 * rs]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            c52 = b2.fma(x, c52);
        }
        c00.intoByteBuffer(out, 4 * (o), LE);
        c01.intoByteBuffer(out, 4 * (o + W), LE);
        c02.intoByteBuffer(out, 4 * (o + 2 * W), LE);
        c10.intoByteBuffer(out, 4 * (o + pitch), LE);
        c11.intoByteBuffer(out, 4 * (o + pitch + W), LE);
        c12.intoByteBuffer(out, 4 * (o + pitch + 2 * W), LE);
        c20.intoByteBuffer(out, 4 * (o + 2 * pitch), LE);
        c21.intoByteBuffer(out, 4 * (o + 2 * pitch + W), LE);
        c22.intoByteBuffer(out, 4 * (o + 2 * pitch + 2 * W), LE);
        c30.intoByteBuffer(out, 4 * (o + 3 * pitch), LE);
        c31.intoByteBuffer(out, 4 * (o + 3 * pitch + W), LE);
        c32.intoByteBuffer(out, 4 * (o + 3 * pitch + 2 * W), LE);
        c40.intoByteBuffer(out, 4 * (o + 4 * pitch), LE);
        c41.intoByteBuffer(out, 4 * (o + 4 * pitch + W), LE);
        c42.intoByteBuffer(out, 4 * (o + 4 * pitch + 2 * W), LE);
        c50.intoByteBuffer(out, 4 * (o + 5 * pitch), LE);
        c51.intoByteBuffer(out, 4 * (o + 5 * pitch + W), LE);
        c52.intoByteBuffer(out, 4 * (o + 5 * pitch + 2 * W), LE);
    }

    /** Rows r..r+5, columns j..j+2W: 12 accumulators (the last panel, when its width ≤ 2W). */
    static void tile6x2(float[] ap, int a0, int rs, int ks, float[] bp, int panel, int k, ByteBuffer out,
                                int o, int pitch) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        for (int kk = 0; kk < k; kk++) {
            int bAt = panel + kk * (2 * W);  // constant stride: no bounds checks in the loop
            FloatVector b0 = FloatVector.fromArray(S, bp, bAt);
            FloatVector b1 = FloatVector.fromArray(S, bp, bAt + W);
            int at = a0 + kk * ks;
            FloatVector x = FloatVector.broadcast(S, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, ap[at + rs]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, ap[at + 2 * rs]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, ap[at + 3 * rs]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, ap[at + 4 * rs]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, ap[at + 5 * rs]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        c00.intoByteBuffer(out, 4 * (o), LE);
        c01.intoByteBuffer(out, 4 * (o + W), LE);
        c10.intoByteBuffer(out, 4 * (o + pitch), LE);
        c11.intoByteBuffer(out, 4 * (o + pitch + W), LE);
        c20.intoByteBuffer(out, 4 * (o + 2 * pitch), LE);
        c21.intoByteBuffer(out, 4 * (o + 2 * pitch + W), LE);
        c30.intoByteBuffer(out, 4 * (o + 3 * pitch), LE);
        c31.intoByteBuffer(out, 4 * (o + 3 * pitch + W), LE);
        c40.intoByteBuffer(out, 4 * (o + 4 * pitch), LE);
        c41.intoByteBuffer(out, 4 * (o + 4 * pitch + W), LE);
        c50.intoByteBuffer(out, 4 * (o + 5 * pitch), LE);
        c51.intoByteBuffer(out, 4 * (o + 5 * pitch + W), LE);
    }
}
