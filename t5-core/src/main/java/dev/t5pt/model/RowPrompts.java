package dev.t5pt.model;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * The soft prompt of each batch row (null = none): one prompt shared by every row (training, serving one
 * task), or different prompts per row, of different lengths (mixed-task batches, prompt ensembles). Row b
 * is laid out [P_b ; E(ids_b) ; padding to the longest prompt], so each row sees exactly what it would see
 * alone: right padding is masked and relative positions within the row are unchanged.
 */
public record RowPrompts(INDArray[] rows) {

    /** The same prompt [p, D] (or null) for every row. */
    public static RowPrompts shared(INDArray prompt, int batch) {
        INDArray[] r = new INDArray[batch];
        Arrays.fill(r, prompt);
        return new RowPrompts(r);
    }

    public static RowPrompts of(INDArray... perRow) {
        return new RowPrompts(perRow.clone());
    }

    public int batch() {
        return rows.length;
    }

    public int length(int row) {
        return rows[row] == null ? 0 : (int) rows[row].size(0);
    }

    /** The longest prompt: the encoder input is this much longer than the token ids. */
    public int maxLength() {
        int m = 0;
        for (int b = 0; b < rows.length; b++) {
            m = Math.max(m, length(b));
        }
        return m;
    }

    /** The prompt-extended attention mask: [1 × p_b, mask_b, 0 × (pmax − p_b)] per row. */
    public int[][] extendMask(int[][] mask) {
        int pmax = maxLength();
        int[][] out = new int[mask.length][];
        for (int b = 0; b < mask.length; b++) {
            int p = length(b);
            out[b] = new int[pmax + mask[b].length];
            Arrays.fill(out[b], 0, p, 1);
            System.arraycopy(mask[b], 0, out[b], p, mask[b].length);
        }
        return out;
    }
}
