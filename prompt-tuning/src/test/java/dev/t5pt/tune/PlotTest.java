package dev.t5pt.tune;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Plot axes get round, readable ticks. */
class PlotTest {
    @Test
    void ticksAreRoundNumbers() {
        assertArrayEquals(new double[]{0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, Plot.ticks(0.28, 0.93, 6), 1e-12);
        assertArrayEquals(new double[]{100, 200, 300, 400, 500, 600}, Plot.ticks(100, 600, 5), 1e-9);
        assertArrayEquals(new double[]{2, 4, 6, 8, 10}, Plot.ticks(1.7, 10.9, 6), 1e-9);
        assertEquals("0.3", Plot.label(0.30000000000000004, Plot.ticks(0.28, 0.93, 6)));
        assertEquals("250", Plot.label(250, Plot.ticks(0, 1000, 5)));
        assertEquals("0.25", Plot.label(0.25, new double[]{0, 0.05}));
    }
}
