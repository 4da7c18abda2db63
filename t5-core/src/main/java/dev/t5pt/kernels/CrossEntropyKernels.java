package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.nio.ByteBuffer;

import static dev.t5pt.kernels.VectorSupport.*;

/**
 * The loss in the Vector API kernels: cross-entropy over the vocabulary, summed, and its gradient.
 */
final class CrossEntropyKernels {
    private CrossEntropyKernels() {
    }

    static double crossEntropySum(INDArray logits, int[] labels, int ignore) {
        int v = (int) logits.size(1);
        ByteBuffer lb = HostMemory.bytes(logits);
        int l0 = HostMemory.base(logits);
        double[] loss = new double[labels.length];
        parallel(labels.length, 1, v, (from, to) -> {
            float[] lanes = new float[W];
            for (int n = from; n < to; n++) {
                int row = l0 + n * v * 4;
                loss[n] = labels[n] == ignore ? 0 : logSumExp(lb, row, v, lanes) - lb.getFloat(row + labels[n] * 4);
            }
        });
        double sum = 0;
        for (double l : loss) {  // in row order, whatever the split
            sum += l;
        }
        return sum;
    }

    static void crossEntropyBackward(INDArray logits, int[] labels, int ignore, double scale, INDArray dLogits) {
        int v = (int) logits.size(1);
        ByteBuffer lb = HostMemory.bytes(logits);
        ByteBuffer db = HostMemory.bytes(dLogits);
        int l0 = HostMemory.base(logits);
        int d0 = HostMemory.base(dLogits);
        float s = (float) scale;
        parallel(labels.length, 1, v, (from, to) -> {
            float[] lanes = new float[W];
            for (int n = from; n < to; n++) {
                int row = l0 + n * v * 4;
                int drow = d0 + n * v * 4;
                if (labels[n] == ignore) {
                    for (int j = 0; j < v; j++) {
                        db.putFloat(drow + j * 4, 0f);
                    }
                    continue;
                }
                scaledSoftmax(lb, row, (float) logSumExp(lb, row, v, lanes), s, db, drow, v);
                int at = drow + labels[n] * 4;
                db.putFloat(at, db.getFloat(at) - s);
            }
        });
    }

    /** d[j] = s·e^(l[j] − lse) over one row of n (its own method so that C2 inlines the vector exp). */
    static void scaledSoftmax(ByteBuffer lb, int row, float lse, float s, ByteBuffer db, int drow, int n) {
        int j = 0;
        for (; j <= n - W; j += W) {
            VectorMath.exp(FloatVector.fromByteBuffer(S, lb, row + j * 4, LE).sub(lse)).mul(s)
                    .intoByteBuffer(db, drow + j * 4, LE);
        }
        for (; j < n; j++) {
            db.putFloat(drow + j * 4, VectorMath.exp(lb.getFloat(row + j * 4) - lse) * s);
        }
    }

    static double logSumExp(ByteBuffer b, int row, int n, float[] lanes) {
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j <= n - W; j += W) {
            maxV = maxV.max(FloatVector.fromByteBuffer(S, b, row + j * 4, LE));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, b.getFloat(row + j * 4));
        }
        FloatVector sumV = FloatVector.zero(S);
        j = 0;
        for (; j <= n - W; j += W) {
            sumV = sumV.add(VectorMath.exp(FloatVector.fromByteBuffer(S, b, row + j * 4, LE).sub(max)));
        }
        sumV.intoArray(lanes, 0);
        double sum = VectorMath.sum(lanes);
        for (; j < n; j++) {
            sum += VectorMath.exp(b.getFloat(row + j * 4) - max);
        }
        return Math.log(sum) + max;
    }
}
