package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.nd4j.linalg.api.ndarray.INDArray;

import static dev.t5pt.kernels.VectorSupport.*;

/**
 * The loss in the Vector API kernels: cross-entropy over the vocabulary, summed, and its gradient.
 */
final class CrossEntropyKernels {
    private CrossEntropyKernels() {
    }

    static double crossEntropySum(INDArray logits, int[] labels, int ignore) {
        int v = (int) logits.size(1);
        HostFloats ls = HostFloats.of(logits);
        double[] loss = new double[labels.length];
        parallel(labels.length, 1, v, (from, to) -> {
            float[] lanes = new float[W];
            for (int n = from; n < to; n++) {
                int row = n * v;
                loss[n] = labels[n] == ignore ? 0 : logSumExp(ls, row, v, lanes) - ls.get(row + labels[n]);
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
        HostFloats ls = HostFloats.of(logits);
        HostFloats ds = HostFloats.of(dLogits);
        float s = (float) scale;
        parallel(labels.length, 1, v, (from, to) -> {
            float[] lanes = new float[W];
            for (int n = from; n < to; n++) {
                int row = n * v;
                if (labels[n] == ignore) {
                    for (int j = 0; j < v; j++) {
                        ds.set(row + j, 0f);
                    }
                    continue;
                }
                scaledSoftmax(ls, row, (float) logSumExp(ls, row, v, lanes), s, ds, v);
                ds.set(row + labels[n], ds.get(row + labels[n]) - s);
            }
        });
    }

    /** d[j] = s·e^(l[j] − lse) over one row of n from element row (its own method so that C2 inlines the vector exp). */
    static void scaledSoftmax(HostFloats l, int row, float lse, float s, HostFloats d, int n) {
        int j = 0;
        for (; j <= n - W; j += W) {
            d.store(VectorMath.exp(l.load(row + j).sub(lse)).mul(s), row + j);
        }
        for (; j < n; j++) {
            d.set(row + j, VectorMath.exp(l.get(row + j) - lse) * s);
        }
    }

    /** log Σ e^x over n floats from element row, in double at the end. */
    static double logSumExp(HostFloats x, int row, int n, float[] lanes) {
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j <= n - W; j += W) {
            maxV = maxV.max(x.load(row + j));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, x.get(row + j));
        }
        FloatVector sumV = FloatVector.zero(S);
        j = 0;
        for (; j <= n - W; j += W) {
            sumV = sumV.add(VectorMath.exp(x.load(row + j).sub(max)));
        }
        sumV.intoArray(lanes, 0);
        double sum = VectorMath.sum(lanes);
        for (; j < n; j++) {
            sum += VectorMath.exp(x.get(row + j) - max);
        }
        return Math.log(sum) + max;
    }
}
