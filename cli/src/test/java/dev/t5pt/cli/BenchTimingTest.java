package dev.t5pt.cli;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench warm-up: its minimum runs and seconds, its cap, and the timed runs after it. */
class BenchTimingTest {
    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void warmsUpForTheMinimumRunsThenTimesTheRest() {
        AtomicInteger runs = new AtomicInteger();
        BenchCommand.Timing t = BenchCommand.time(() -> {
            runs.incrementAndGet();
            sleep(5);
        }, 4, 0, 0, 3);
        assertEquals(4 + 3, runs.get(), "4 warm-up runs (the cap of 0 s ends it there), then 3 timed");
        assertEquals(3, t.sorted().length);
        for (int i = 0; i < 3; i++) {
            assertTrue(t.sorted()[i] >= 5, "each timed run sleeps 5 ms: " + t.sorted()[i]);
            assertTrue(i == 0 || t.sorted()[i - 1] <= t.sorted()[i], "sorted");
        }
    }

    @Test
    void warmUpLastsAtLeastItsMinimum() {
        // (the cap is checked without a clock above: a cap of 0 s ends the warm-up at its minimum runs)
        BenchCommand.Timing t = BenchCommand.time(() -> sleep(20), 1, 0.3, 0.6, 1);
        assertTrue(t.warmupSeconds() >= 0.3, "at least the minimum: " + t.warmupSeconds());
    }
}
