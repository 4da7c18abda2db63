package dev.t5pt.model;

import dev.t5pt.config.T5Config;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After the first call with a shape, the forward pass reuses its buffers: no new off-heap allocation. */
class SteadyStateAllocationTest {

    @Test
    void t5SmallForwardAllocatesNothingAfterFirstCall() {
        T5Config cfg = T5Config.t5Small();
        T5Model m = T5Model.random(cfg, 7);
        Batch batch = randomBatch(cfg, 8, 128, 8, new Random(1));
        Nd4j.getRandom().setSeed(3);
        INDArray prompt = Nd4j.randn(DataType.FLOAT, 100, cfg.dModel());
        Activations act = new Activations();

        double first = m.forward(act, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE).loss();
        long allocations = act.allocations();
        long bytes = act.allocatedBytes();
        assertTrue(allocations > 0);
        for (int i = 0; i < 2; i++) {
            double again = m.forward(act, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE).loss();
            // reused buffers give the same bits (VectorMath makes the kernels independent of JIT tiers)
            assertEquals(first, again, 0.0, "same input, same buffers, same loss");
        }
        assertEquals(allocations, act.allocations(), "buffers allocated after the first call");
        assertEquals(bytes, act.allocatedBytes());

        // a smaller batch fits in the same buffers
        m.forward(act, Retain.NOTHING, randomBatch(cfg, 4, 100, 6, new Random(2)), RowPrompts.shared(prompt, 4), Dropout.NONE);
        assertEquals(allocations, act.allocations(), "a smaller shape reuses the buffers");
    }

    static Batch randomBatch(T5Config cfg, int b, int len, int t, Random r) {
        int[][] ids = new int[b][len];
        int[][] mask = new int[b][len];
        int[][] labels = new int[b][t];
        for (int i = 0; i < b; i++) {
            int real = len - r.nextInt(len / 4);
            for (int j = 0; j < len; j++) {
                ids[i][j] = j < real ? 2 + r.nextInt(cfg.vocabSize() - 2) : 0;
                mask[i][j] = j < real ? 1 : 0;
            }
            for (int j = 0; j < t; j++) {
                labels[i][j] = 2 + r.nextInt(cfg.vocabSize() - 2);
            }
        }
        return new Batch(ids, mask, labels);
    }
}
