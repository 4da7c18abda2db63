package dev.t5pt.convert;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shard sizes as users write them. */
class ByteSizesTest {
    @Test
    void byteSizes() {
        assertEquals(5_000_000_000L, ByteSizes.parse("5GB"));
        assertEquals(500_000_000L, ByteSizes.parse("500mb"));
        assertEquals(2L << 30, ByteSizes.parse("2GiB"));
        assertEquals(123, ByteSizes.parse("123"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("5 parsecs"));
    }
}
