package dev.t5pt.tune;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EnsembleAndMetricsTest {
    @Test
    void majorityVoteWithTiesGoingToTheEarliestPrompt() {
        List<List<String>> votes = List.of(
                List.of("positive", "negative", "a", "x"),
                List.of("positive", "positive", "b", "y"),
                List.of("negative", "positive", "b", "z"));
        assertEquals(List.of("positive", "positive", "b", "x"), Metrics.majorityVote(votes));
    }

    @Test
    void exactMatchAccuracyAndMacroF1() {
        List<String> targets = List.of("positive", "positive", "negative", "negative");
        List<String> preds = List.of("positive", "Positive ", "positive", "negative");
        Metrics m = Metrics.of(preds, targets, List.of("positive", "negative"));
        assertEquals(0.5, m.exactMatch(), 1e-12);     // "Positive " differs before normalisation
        assertEquals(0.75, m.accuracy(), 1e-12);
        // positive: tp 2, fp 1, fn 0 → 0.8; negative: tp 1, fp 0, fn 1 → 2/3
        assertEquals((0.8 + 2.0 / 3) / 2, m.macroF1(), 1e-12);
    }
}
