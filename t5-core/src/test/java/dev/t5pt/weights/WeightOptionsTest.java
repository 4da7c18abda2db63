package dev.t5pt.weights;

import dev.t5pt.io.DType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Format names, "as stored", and keep patterns matching whole components of a key. */
class WeightOptionsTest {
    @Test
    void formatsParseAndPrintAsTheyAreWritten() {
        for (WeightFormat f : WeightFormat.values()) {
            assertEquals(f, WeightFormat.parse(f.toString()));
        }
        assertEquals(WeightFormat.BF16, WeightFormat.parse("BFloat16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightFormat.parse("int4"));
        assertTrue(e.getMessage().contains("'int4'"), e.getMessage());
    }

    @Test
    void asStoredKeepsBf16AndWidensTheRest() {
        assertEquals(WeightFormat.BF16, WeightFormat.AS_STORED.heldAs(DType.BF16));
        assertEquals(WeightFormat.F32, WeightFormat.AS_STORED.heldAs(DType.F16));
        assertEquals(WeightFormat.F32, WeightFormat.AS_STORED.heldAs(DType.F32));
        assertEquals(WeightFormat.INT8, WeightFormat.INT8.heldAs(DType.BF16));
    }

    @Test
    void keepPatternsMatchWholeNameComponents() {
        WeightOptions o = new WeightOptions(WeightFormat.INT8, List.of("wo", "lm_head"));
        assertEquals(WeightFormat.F32, o.formatOf("decoder.block.3.layer.2.DenseReluDense.wo.weight"));
        assertEquals(WeightFormat.F32, o.formatOf("lm_head.weight"));
        assertEquals(WeightFormat.INT8, o.formatOf("decoder.block.3.layer.2.DenseReluDense.wi_0.weight"));
        assertEquals(WeightFormat.INT8, o.formatOf("encoder.block.0.layer.0.SelfAttention.o.weight"), "wo is not o");
        assertEquals(WeightFormat.F32, WeightOptions.of(WeightFormat.INT8).formatOf("shared.weight"));
        assertEquals(WeightFormat.BF16, WeightOptions.of(WeightFormat.BF16).formatOf("shared.weight"));
    }

    @Test
    void unmatchedPatternsAreTheOnesNamingNoKey() {
        List<String> keys = List.of("shared.weight", "decoder.block.0.layer.2.DenseReluDense.wo.weight", "lm_head.weight");
        assertEquals(List.of(), new WeightOptions(WeightFormat.INT8, List.of("wo", "lm_head", "DenseReluDense")).unmatched(keys));
        assertEquals(List.of("w0", "dense"), new WeightOptions(WeightFormat.INT8, List.of("w0", "wo", "dense")).unmatched(keys),
                "whole components only, case as written");
        assertEquals(List.of("o"), new WeightOptions(WeightFormat.INT8, List.of("o")).unmatched(keys), "wo is not o");
        new WeightOptions(WeightFormat.INT8, List.of("wo")).requireMatches(keys, "here");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WeightOptions(WeightFormat.INT8, List.of("w0")).requireMatches(keys, "model.safetensors"));
        assertTrue(e.getMessage().contains("w0 names no tensor of model.safetensors"), e.getMessage());
        assertTrue(e.getMessage().endsWith("there: DenseReluDense, block, decoder, layer, lm_head, shared, wo)"), e.getMessage());
    }
}
