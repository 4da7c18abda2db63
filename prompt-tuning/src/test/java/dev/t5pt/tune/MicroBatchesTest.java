package dev.t5pt.tune;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Gradient accumulation: the split changes nothing but the order of the float sums; the dropout masks not at all. */
class MicroBatchesTest {
    @Test
    void microBatchesSumToTheWholeBatchWithTheSameDropoutMasks() throws Exception {
        T5Model m = TuneTestSupport.smallRandomT5();
        T5Tokenizer tok = T5Tokenizer.t5Default();
        Dataset data = Dataset.read(TuneTestSupport.repo("demo/sentiment-train.jsonl"), "input", "target", false);
        Batch batch = Batcher.pad(Tokenized.of(data, tok, 24, 8), List.of(3, 17, 40, 41, 99, 120, 7, 300));
        INDArray prompt = Nd4j.rand(DataType.FLOAT, 5, m.config().dModel()).subi(0.5);
        Dropout drop = new Dropout(0.1f, 42).forStep(3);
        Activations act = new Activations();

        MicroBatches.Part whole = MicroBatches.compute(m, act, batch, 0, prompt, false, drop);
        // one micro-batch of all rows is the whole batch, bit for bit
        MicroBatches.Part one = MicroBatches.compute(m, act, batch, 8, prompt, false, drop);
        assertArrayEquals(whole.grad(), one.grad());
        assertEquals(whole.loss(), one.loss());
        for (int micro : new int[]{1, 2, 4}) {
            MicroBatches.Part split = MicroBatches.compute(m, act, batch, micro, prompt, false, drop);
            assertEquals(whole.loss(), split.loss(), 1e-6 * whole.loss(), "loss, micro-batches of " + micro);
            assertTrue(relativeError(whole.grad(), split.grad()) < 1e-5, "gradient, micro-batches of " + micro + ": "
                    + relativeError(whole.grad(), split.grad()));
            assertArrayEquals(split.grad(), MicroBatches.compute(m, act, batch, micro, prompt, false, drop).grad(), "repeatable");
        }
        // the masks matter: keyed by the micro-batch's own rows instead, the gradient is another one
        MicroBatches.Part unkeyed = MicroBatches.sum(List.of(
                new MicroBatches.Part(0, m.lossAndPromptGrad(act, batch.rows(0, 4), prompt, false, drop, batch.labelCount()).grad().data().asFloat()),
                new MicroBatches.Part(0, m.lossAndPromptGrad(act, batch.rows(4, 8), prompt, false, drop, batch.labelCount()).grad().data().asFloat())));
        assertTrue(relativeError(whole.grad(), unkeyed.grad()) > 1e-3, "dropout keyed locally differs");
    }

    static double relativeError(float[] a, float[] b) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (double) (a[i] - b[i]);
            n += a[i] * (double) a[i];
        }
        return Math.sqrt(d / n);
    }
}
