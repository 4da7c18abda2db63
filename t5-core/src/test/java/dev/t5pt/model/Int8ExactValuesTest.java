package dev.t5pt.model;

import dev.t5pt.Fixtures;
import dev.t5pt.config.T5Config;
import dev.t5pt.layers.FeedForward;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;
import dev.t5pt.weights.WeightOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Where an int8 model holds exact values ({@link Frozen.Int8}): {@link Frozen.Int8#EXACT_PER_ROW} per row in the
 * blocks' matrices, none in the LM head — from a checkpoint and from random weights drawn into the format.
 */
class Int8ExactValuesTest {
    @Test
    void blocksHoldExactValuesTheHeadNone() throws IOException {
        T5Model loaded = T5Model.load(Fixtures.dir("tiny-v1_1"), WeightOptions.of(WeightFormat.INT8));
        T5Model tied = T5Model.load(Fixtures.dir("tiny-v1_0"), WeightOptions.of(WeightFormat.INT8));
        T5Model drawn = T5Model.random(loaded.config(), 3, WeightOptions.of(WeightFormat.INT8));
        for (T5Model m : new T5Model[]{loaded, tied, drawn}) {
            assertEquals(0, ((Frozen.Int8) m.lmHead().weight()).exactPerRow(), "the head");
            FeedForward ff = m.encoder().blocks().get(0).layerFF().ff();
            Frozen wo = ff instanceof FeedForward.DenseGatedGeluDense g ? g.wo().weight()
                    : ((FeedForward.DenseReluDense) ff).wo().weight();
            assertEquals(Frozen.Int8.EXACT_PER_ROW, ((Frozen.Int8) wo).exactPerRow(), "an FFN's wo");
        }
    }
}
