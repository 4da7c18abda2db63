package dev.t5pt.tune;

import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptInitTest {
    static final T5Model M = TuneTestSupport.smallRandomT5();
    static final T5Tokenizer TOK = T5Tokenizer.t5Default();

    @Test
    void uniformIsInRange() throws Exception {
        INDArray p = new PromptInit.Uniform(0.5).create(M, TOK, 10, new Random(1));
        assertEquals(10, p.size(0));
        assertTrue(p.maxNumber().doubleValue() <= 0.5 && p.minNumber().doubleValue() >= -0.5);
        assertTrue(p.maxNumber().doubleValue() > 0.4 && p.minNumber().doubleValue() < -0.4);
    }

    @Test
    void sampledVocabRowsAreDistinctEmbeddingsOfFrequentPieces() throws Exception {
        PromptInit.SampledVocab v = new PromptInit.SampledVocab(5000);
        int[] ids = v.sample(50, new Random(2));
        assertEquals(50, java.util.Arrays.stream(ids).distinct().count());
        for (int id : ids) {
            assertTrue(id >= 3 && id < 5003, "id " + id);
        }
        INDArray p = v.create(M, TOK, 50, new Random(2));
        assertEquals(M.embeddings(ids[0]).getRow(0), p.getRow(0));
    }

    @Test
    void classLabelsFillTheFirstSlots() throws Exception {
        INDArray p = new PromptInit.ClassLabels(List.of("positive", "not sure"), 5000).create(M, TOK, 6, new Random(3));
        int[] pos = TOK.encode("positive", false, true).ids();
        assertEquals(M.embeddings(pos[0]).getRow(0).dup(), p.getRow(0).dup(), "one-piece label: its embedding");
        int[] ns = TOK.encode("not sure", false, true).ids();
        INDArray mean = M.embeddings(ns[0]).getRow(0).dup();
        for (int i = 1; i < ns.length; i++) {
            mean.addi(M.embeddings(ns[i]).getRow(0));
        }
        assertTrue(mean.divi(ns.length).sub(p.getRow(1)).amaxNumber().doubleValue() < 1e-6, "averaged over its pieces");
    }

    @Test
    void textIsRepeatedToLength() throws Exception {
        int[] ids = TOK.encode("Hello there", false, true).ids();
        INDArray p = new PromptInit.Text("Hello there").create(M, TOK, 5, new Random(4));
        for (int i = 0; i < 5; i++) {
            assertEquals(M.embeddings(ids[i % ids.length]).getRow(0), p.getRow(i));
        }
    }

    @Test
    void parsesTheCliForms() {
        assertTrue(PromptInit.parse("uniform:0.1", List.of()) instanceof PromptInit.Uniform u && u.range() == 0.1);
        assertTrue(PromptInit.parse("vocab", List.of()) instanceof PromptInit.SampledVocab s && s.topK() == 5000);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PromptInit.parse("gaussian", List.of()));
        assertTrue(e.getMessage().contains("gaussian"));
    }
}
