package dev.t5pt.tune;

import dev.t5pt.model.Batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded shuffled batches over a tokenized dataset, epoch after epoch. The position (epoch, index) is the
 * whole state: the order of an epoch is a function of the seed and the epoch, so a resumed run sees exactly
 * the batches it would have seen.
 */
public final class Batcher {
    private final Tokenized data;
    private final int batchSize;
    private final long seed;
    private int epoch;
    private int index;
    private int[] order;

    public Batcher(Tokenized data, int batchSize, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1, found " + batchSize);
        }
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.order = permutation(0);
    }

    public int epoch() {
        return epoch;
    }

    public int index() {
        return index;
    }

    /** Moves to a saved position. */
    public void seek(int epoch, int index) {
        this.epoch = epoch;
        this.index = index;
        this.order = permutation(epoch);
    }

    private int[] permutation(int e) {
        int n = data.size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random r = new Random(seed * 1_000_003L + e);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The next batch (wrapping into a new epoch when this one runs out); padded, labels padded with -100. */
    public Batch next() {
        List<Integer> rows = new ArrayList<>(batchSize);
        while (rows.size() < batchSize) {
            if (index >= order.length) {
                epoch++;
                index = 0;
                order = permutation(epoch);
            }
            rows.add(order[index++]);
        }
        return pad(data, rows);
    }

    /** The examples at {@code rows}, padded into one batch. */
    public static Batch pad(Tokenized data, List<Integer> rows) {
        int li = 0;
        int lt = 0;
        for (int r : rows) {
            li = Math.max(li, data.inputs().get(r).length);
            lt = Math.max(lt, data.targets().get(r).length);
        }
        int[][] ids = new int[rows.size()][li];
        int[][] mask = new int[rows.size()][li];
        int[][] labels = new int[rows.size()][lt];
        for (int b = 0; b < rows.size(); b++) {
            int[] in = data.inputs().get(rows.get(b));
            int[] tg = data.targets().get(rows.get(b));
            System.arraycopy(in, 0, ids[b], 0, in.length);
            java.util.Arrays.fill(mask[b], 0, in.length, 1);
            java.util.Arrays.fill(labels[b], Batch.IGNORE);
            System.arraycopy(tg, 0, labels[b], 0, tg.length);
        }
        return new Batch(ids, mask, labels);
    }
}
