package dev.t5pt.model;

import dev.t5pt.Fixtures;
import dev.t5pt.Fixtures.Case;
import dev.t5pt.generate.Greedy;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One batch whose rows carry different prompts (or none) gives what each row gives alone. */
class MixedPromptBatchTest {
    @Test
    void mixedBatchEqualsSeparateRuns() throws IOException {
        Case c = Fixtures.cases("tiny-lm-adapt-prompt").get(0);
        T5Model m = T5Model.load(Fixtures.dir(c.model()));
        int d = m.config().dModel();
        Nd4j.getRandom().setSeed(3);
        INDArray p1 = Nd4j.randn(DataType.FLOAT, 3, d);
        INDArray p2 = Nd4j.randn(DataType.FLOAT, 7, d);
        int[][] ids = c.ints("input_ids");
        int[][] mask = c.ints("attention_mask");
        int[][] labels = c.ints("labels");
        int[][] ids3 = {ids[0], ids[1], ids[0]};
        int[][] mask3 = {mask[0], mask[1], mask[0]};
        int[][] labels3 = {labels[0], labels[1], labels[1]};
        RowPrompts prompts = RowPrompts.of(p1, p2, null);
        Batch mixed = new Batch(ids3, mask3, labels3);

        Activations act = new Activations();
        Forward all = m.forward(act, Retain.NOTHING, mixed, prompts, Dropout.NONE).detach();
        int[][] greedy = Greedy.generate(m, act, Batch.inputs(ids3, mask3), prompts, new Greedy.Options(6, false),
                (t, l) -> { });
        INDArray[] rowPrompt = {p1, p2, null};
        for (int b = 0; b < 3; b++) {
            Batch one = new Batch(new int[][]{ids3[b]}, new int[][]{mask3[b]}, new int[][]{labels3[b]});
            Forward alone = m.forward(new Activations(), Retain.NOTHING, one, RowPrompts.of(rowPrompt[b]), Dropout.NONE);
            int p = rowPrompt[b] == null ? 0 : (int) rowPrompt[b].size(0);
            int le = p + ids3[b].length;
            INDArray mixedEnc = all.encoderHidden().get(NDArrayIndex.point(b), NDArrayIndex.interval(0, le), NDArrayIndex.all());
            Fixtures.assertClose("row " + b + " encoder", mixedEnc, alone.encoderHidden().get(NDArrayIndex.point(0),
                    NDArrayIndex.all(), NDArrayIndex.all()), 1e-5);
            Fixtures.assertClose("row " + b + " logits", all.logits().get(NDArrayIndex.point(b), NDArrayIndex.all(),
                    NDArrayIndex.all()), alone.logits().get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()), 1e-5);
            int[][] g = Greedy.generate(m, new Activations(), Batch.inputs(new int[][]{ids3[b]}, new int[][]{mask3[b]}),
                    rowPrompt[b], new Greedy.Options(6, false), (t, l) -> { });
            assertArrayEquals(g[0], greedy[b], "greedy row " + b);
        }
        INDArray withP1 = all.encoderHidden().get(NDArrayIndex.point(0), NDArrayIndex.interval(3, 3 + ids[0].length), NDArrayIndex.all());
        INDArray without = all.encoderHidden().get(NDArrayIndex.point(2), NDArrayIndex.interval(0, ids[0].length), NDArrayIndex.all());
        assertTrue(withP1.sub(without).amaxNumber().doubleValue() > 1e-3, "prompts make a difference");
    }
}
