package dev.t5pt.model;

/**
 * One batch of token ids: inputIds and attentionMask [B, L] (right padding, mask 1 = real token), labels
 * [B, T] with -100 for positions the loss ignores (or null when only encoding or generating).
 */
public record Batch(int[][] inputIds, int[][] attentionMask, int[][] labels) {
    public static final int IGNORE = -100;

    public Batch {
        if (inputIds == null || inputIds.length == 0) {
            throw new IllegalArgumentException("input_ids: the batch is empty");
        }
        int len = rectangular("input_ids", inputIds);
        if (attentionMask == null) {
            attentionMask = new int[inputIds.length][len];
            for (int[] row : attentionMask) {
                java.util.Arrays.fill(row, 1);
            }
        }
        if (attentionMask.length != inputIds.length || rectangular("attention_mask", attentionMask) != len) {
            throw new IllegalArgumentException("attention_mask: expected shape [" + inputIds.length + ", " + len
                    + "] like input_ids, found [" + attentionMask.length + ", " + attentionMask[0].length + "]");
        }
        for (int b = 0; b < attentionMask.length; b++) {
            for (int i = 0; i < len; i++) {
                if (attentionMask[b][i] != 0 && attentionMask[b][i] != 1) {
                    throw new IllegalArgumentException("attention_mask[" + b + "][" + i + "] = " + attentionMask[b][i]
                            + ", expected 0 or 1");
                }
            }
        }
        if (labels != null) {
            if (labels.length != inputIds.length) {
                throw new IllegalArgumentException("labels: expected " + inputIds.length + " rows like input_ids, found "
                        + labels.length);
            }
            rectangular("labels", labels);
        }
    }

    /** A batch of inputs for encoding or generation. */
    public static Batch inputs(int[][] inputIds, int[][] attentionMask) {
        return new Batch(inputIds, attentionMask, null);
    }

    /** Token id rows of any lengths (each with its EOS), right-padded with the pad id 0, with their attention mask. */
    public static Batch padded(int[]... rows) {
        int len = 0;
        for (int[] r : rows) {
            len = Math.max(len, r.length);
        }
        int[][] ids = new int[rows.length][len];     // [B, L], 0 = pad
        int[][] mask = new int[rows.length][len];    // [B, L], 1 = real token
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], 0, ids[b], 0, rows[b].length);
            java.util.Arrays.fill(mask[b], 0, rows[b].length, 1);
        }
        return inputs(ids, mask);
    }

    /** Rows [from, to) as a batch of their own, padded as this one is (a micro-batch). */
    public Batch rows(int from, int to) {
        if (from < 0 || to > size() || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + size());
        }
        return new Batch(java.util.Arrays.copyOfRange(inputIds, from, to), java.util.Arrays.copyOfRange(attentionMask, from, to),
                labels == null ? null : java.util.Arrays.copyOfRange(labels, from, to));
    }

    /** The labels that count (not -100). */
    public int labelCount() {
        int n = 0;
        if (labels != null) {
            for (int[] row : labels) {
                for (int l : row) {
                    n += l != IGNORE ? 1 : 0;
                }
            }
        }
        return n;
    }

    public int size() {
        return inputIds.length;
    }

    public int inputLength() {
        return inputIds[0].length;
    }

    public int targetLength() {
        return labels == null ? 0 : labels[0].length;
    }

    /** Throws unless every id is in [0, vocab) and every label in [0, vocab) or -100. */
    public void checkIds(int vocabSize) {
        for (int b = 0; b < inputIds.length; b++) {
            for (int i = 0; i < inputIds[b].length; i++) {
                int id = inputIds[b][i];
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("input_ids[" + b + "][" + i + "] = " + id
                            + " is outside the model's vocabulary [0, " + vocabSize + ")");
                }
            }
        }
        if (labels != null) {
            for (int b = 0; b < labels.length; b++) {
                for (int i = 0; i < labels[b].length; i++) {
                    int id = labels[b][i];
                    if (id != IGNORE && (id < 0 || id >= vocabSize)) {
                        throw new IllegalArgumentException("labels[" + b + "][" + i + "] = " + id
                                + " is outside the model's vocabulary [0, " + vocabSize + ") and is not -100");
                    }
                }
            }
        }
    }

    /** HF's shift_right: [start, labels[0..T-2]] with -100 replaced by pad. */
    public static int[][] shiftRight(int[][] labels, int decoderStart, int pad) {
        int[][] out = new int[labels.length][];
        for (int b = 0; b < labels.length; b++) {
            int t = labels[b].length;
            out[b] = new int[t];
            if (t > 0) {
                out[b][0] = decoderStart;
            }
            for (int i = 1; i < t; i++) {
                int v = labels[b][i - 1];
                out[b][i] = v == IGNORE ? pad : v;
            }
        }
        return out;
    }

    /** cat(ones(p), mask) per row: the encoder mask once a p-row prompt is prepended. */
    public static int[][] extendMask(int[][] mask, int promptLength) {
        int[][] out = new int[mask.length][];
        for (int b = 0; b < mask.length; b++) {
            out[b] = new int[promptLength + mask[b].length];
            java.util.Arrays.fill(out[b], 0, promptLength, 1);
            System.arraycopy(mask[b], 0, out[b], promptLength, mask[b].length);
        }
        return out;
    }

    private static int rectangular(String name, int[][] rows) {
        if (rows.length == 0 || rows[0] == null) {
            throw new IllegalArgumentException(name + ": empty");
        }
        int len = rows[0].length;
        if (len == 0) {
            throw new IllegalArgumentException(name + ": rows are empty");
        }
        for (int b = 0; b < rows.length; b++) {
            if (rows[b] == null || rows[b].length != len) {
                throw new IllegalArgumentException(name + ": row " + b + " has length "
                        + (rows[b] == null ? 0 : rows[b].length) + ", expected " + len + " (pad rows to one length)");
            }
        }
        return len;
    }
}
