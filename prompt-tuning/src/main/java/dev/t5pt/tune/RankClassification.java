package dev.t5pt.tune;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.Encoded;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

/**
 * Rank classification (the paper's alternative to free generation): each input is scored against every candidate
 * label by the candidate's summed negative log-likelihood as the decoder's target, and the lowest wins. One batch
 * of R inputs runs as R·C rows (input r, candidate c at row r·C + c). Used by {@link Evaluator} and by Spark's
 * transformer, so both rank alike.
 */
public final class RankClassification {
    private RankClassification() {
    }

    /**
     * nll[r][c] of candidate c (token ids, EOS included) for input r. inputs: R rows (ids and mask, padded);
     * prompts: one per input row (null entries: none).
     */
    public static double[][] scores(T5Model model, Activations act, Batch inputs, INDArray[] prompts, int[][] candidates) {
        int r = inputs.size();
        int nc = candidates.length;
        int maxT = Arrays.stream(candidates).mapToInt(a -> a.length).max().orElse(1);
        int[][] ids = new int[r * nc][];
        int[][] mask = new int[r * nc][];
        int[][] labels = new int[r * nc][maxT];
        INDArray[] p = new INDArray[r * nc];
        for (int k = 0; k < r * nc; k++) {
            ids[k] = inputs.inputIds()[k / nc];
            mask[k] = inputs.attentionMask()[k / nc];
            p[k] = prompts[k / nc];
            Arrays.fill(labels[k], Batch.IGNORE);
            System.arraycopy(candidates[k % nc], 0, labels[k], 0, candidates[k % nc].length);
        }
        // the teacher-forced logits [R·C·T, V], then each row's summed cross-entropy over its candidate's positions
        // (-100 excluded): the row's own pass over its logits, no batch-mean loss besides
        Encoded enc = model.encode(act, Retain.NOTHING, new Batch(ids, mask, labels), RowPrompts.of(p), Dropout.NONE);
        INDArray logits = model.decodeLogits(act, false, enc, model.decoderInput(labels));
        double[][] out = new double[r][nc];
        for (int k = 0; k < r * nc; k++) {
            INDArray rows = logits.get(NDArrayIndex.interval((long) k * maxT, (long) (k + 1) * maxT), NDArrayIndex.all());
            out[k / nc][k % nc] = model.kernels().crossEntropySum(rows, labels[k], Batch.IGNORE);
        }
        return out;
    }

    /** The index of the lowest score (the first on ties). */
    public static int best(double[] scores) {
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            best = scores[c] < scores[best] ? c : best;
        }
        return best;
    }
}
