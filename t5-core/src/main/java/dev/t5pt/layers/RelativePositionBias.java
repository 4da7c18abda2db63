package dev.t5pt.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * T5's learned relative position bias: a [num_buckets, H] table owned by block 0 of a stack and added to
 * the attention scores of every layer of that stack. Encoder buckets are bidirectional, decoder buckets
 * causal.
 */
public record RelativePositionBias(INDArray table /* [numBuckets, H] */, boolean bidirectional, int numBuckets,
                                   int maxDistance) {

    /**
     * The bucket of relative position {@code rel} = key − query, exactly as HF computes it (the log term in
     * float32, truncated toward zero).
     */
    public static int bucket(int rel, boolean bidirectional, int numBuckets, int maxDistance) {
        int n = numBuckets;
        int offset = 0;
        int d;
        if (bidirectional) {
            n /= 2;
            if (rel > 0) {
                offset = n;
            }
            d = Math.abs(rel);
        } else {
            d = Math.max(-rel, 0);
        }
        int maxExact = n / 2;
        if (d < maxExact) {
            return offset + d;
        }
        float ratio = (float) Math.log((float) d / (float) maxExact);
        float scaled = ratio / (float) Math.log((double) maxDistance / maxExact) * (n - maxExact);
        int large = maxExact + (int) scaled;
        return offset + Math.min(large, n - 1);
    }

    public int heads() {
        return (int) table.size(1);
    }

    /**
     * bias[h, i, j] = table[bucket(j − (i + queryOffset)), h] for queries i &lt; lq and keys j &lt; lk;
     * out: [H, lq, lk].
     */
    public void compute(int lq, int lk, int queryOffset, INDArray out) {
        int h = heads();
        float[] t = table.data().asFloat();
        float[] bias = new float[h * lq * lk];
        for (int i = 0; i < lq; i++) {
            for (int j = 0; j < lk; j++) {
                int b = bucket(j - (i + queryOffset), bidirectional, numBuckets, maxDistance);
                for (int k = 0; k < h; k++) {
                    bias[(k * lq + i) * lk + j] = t[b * h + k];
                }
            }
        }
        out.assign(Nd4j.create(bias, new long[]{h, lq, lk}, 'c'));
    }
}
