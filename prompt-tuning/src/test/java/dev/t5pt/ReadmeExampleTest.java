package dev.t5pt;

import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.StepListener;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Forward;
import dev.t5pt.model.T5Model;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's library example, as written there (the bundled model path resolved from the module). */
class ReadmeExampleTest {
    @Test
    void readmeExampleRuns() throws Exception {
        T5Model model = T5Model.load(Path.of("../models/tiny-lm-adapt"));   // config.json + model.safetensors (or shards)
        int[][] ids  = {{12, 7, 99, 1}};                                   // token ids, EOS = 1, right-padded rows
        int[][] mask = {{1, 1, 1, 1}};
        int[][] labels = {{5, 8, 1}};                                      // -100 = ignored by the loss
        INDArray prompt = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, model.config().dModel()).muli(0.5);

        Forward f = model.forward(new Batch(ids, mask, labels), prompt);   // encoder/decoder hidden, logits, loss
        System.out.println("loss " + f.loss() + ", logits " + java.util.Arrays.toString(f.logits().shape()));

        var act = new dev.t5pt.model.Activations();                        // reusable buffers, one per thread
        int[][] out = Greedy.generate(model, act, Batch.inputs(ids, mask), prompt,
                new Greedy.Options(16, true), StepListener.NONE);          // stops at EOS per row

        assertTrue(Double.isFinite(f.loss()) && f.loss() > 0);
        assertArrayEquals(new long[]{1, 3, 200}, f.logits().shape());
        assertEquals(1, out.length);
        assertTrue(out[0].length >= 1 && out[0].length <= 16);
    }
}
