package dev.t5pt.tune;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.Forward;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Rank classification's score of a candidate is its summed negative log-likelihood as the decoder's target: what
 * the model's mean loss of that one row times its label count gives, whatever the other rows and their prompts.
 */
class RankClassificationTest {
    @Test
    void scoresAreEachRowsSummedNllAlone() {
        T5Model m = TuneTestSupport.smallRandomT5();
        Nd4j.getRandom().setSeed(5);
        INDArray prompt = Nd4j.randn(DataType.FLOAT, 3, m.config().dModel());
        int[][] ids = {{100, 200, 300, 1}, {400, 500, 1, 0}};
        int[][] mask = {{1, 1, 1, 1}, {1, 1, 1, 0}};
        int[][] candidates = {{1465, 1}, {2841, 7, 1}};
        INDArray[] prompts = {prompt, null};

        double[][] scores = RankClassification.scores(m, new Activations(), new Batch(ids, mask, null), prompts, candidates);
        for (int r = 0; r < ids.length; r++) {
            for (int c = 0; c < candidates.length; c++) {
                Batch one = new Batch(new int[][]{ids[r]}, new int[][]{mask[r]}, new int[][]{candidates[c]});
                Forward alone = m.forward(new Activations(), Retain.NOTHING, one, RowPrompts.of(prompts[r]), Dropout.NONE);
                assertEquals(alone.loss() * candidates[c].length, scores[r][c], 1e-4 * scores[r][c], "input " + r + ", candidate " + c);
            }
        }
        assertNotEquals(Arrays.toString(scores[0]), Arrays.toString(scores[1]));
        assertEquals(scores[0][0] < scores[0][1] ? 0 : 1, RankClassification.best(scores[0]));
    }
}
