package dev.t5pt.cli;

import org.junit.jupiter.api.Test;

import dev.t5pt.config.T5Config;
import dev.t5pt.weights.WeightFormat;

import java.util.ArrayList;
import java.util.List;
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

    @Test
    void severalFormatsAreTimedInTurns() {
        List<String> order = new ArrayList<>();
        Runnable[] runs = {() -> order.add("a"), () -> {
            order.add("b");
            sleep(3);
        }};
        double[][] ms = BenchCommand.inTurns(runs, 3);
        assertEquals(List.of("a", "b", "a", "b", "a", "b"), order, "one run of each in turn");
        assertEquals(3, ms[0].length);
        assertTrue(ms[1][0] >= 3 && ms[1][1] <= ms[1][2], "b's own times, sorted: " + java.util.Arrays.toString(ms[1]));
    }

    @Test
    void formatsAreHeldTogetherOnlyWhenTheyFit() {
        List<WeightFormat> all = List.of(WeightFormat.F32, WeightFormat.BF16, WeightFormat.INT8);
        long small = BenchCommand.heldTogetherBytes(T5Config.t5Small(), all);
        // T5-small: 60.5M parameters (the tied embedding once), 7 bytes each over the three formats
        assertTrue(small > 7L * 60_000_000 && small < 7L * 61_000_000, "t5-small: " + small);
        assertTrue(small <= BenchCommand.INTERLEAVE_MAX_BYTES);
        assertTrue(BenchCommand.heldTogetherBytes(T5Config.t5LargeLmAdapt(), all) > BenchCommand.INTERLEAVE_MAX_BYTES,
                "T5-large in three formats is made one format at a time");
    }

    @Test
    void benchPrintsOneInterleavedResultPerFormat() {
        Cli r = Cli.run("bench", "decode", "--shape", "t5-small", "--weights", "f32,int8", "--reps", "2", "--warmup", "1",
                "--warmup-seconds", "0", "--max-warmup-seconds", "0", "--tokens", "2", "--json");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        assertTrue(lines[0].contains("\"weights\": \"f32\"") && lines[1].contains("\"weights\": \"int8\""), r.out());
        for (String line : lines) {
            assertTrue(line.contains("\"interleaved\": true") && line.contains("\"reps\": 2"), line);
            assertTrue(line.contains("\"cpu\": \"" + dev.t5pt.perf.Machine.cpu() + "\""), line);
        }
    }
}
