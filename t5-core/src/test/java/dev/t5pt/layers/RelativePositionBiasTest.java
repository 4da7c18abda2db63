package dev.t5pt.layers;

import org.junit.jupiter.api.Test;

import static dev.t5pt.layers.RelativePositionBias.bucket;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bucket function in both directions, at hand-checkable points of HF's formula (32 buckets, 128). */
class RelativePositionBiasTest {
    @Test
    void bidirectionalBuckets() {
        // n = 16 per direction, exact up to 8, then log-spaced to 128; keys after the query get offset 16
        assertEquals(0, bucket(0, true, 32, 128));
        assertEquals(3, bucket(-3, true, 32, 128));
        assertEquals(16 + 3, bucket(3, true, 32, 128));
        assertEquals(7, bucket(-7, true, 32, 128));
        assertEquals(8, bucket(-8, true, 32, 128));                 // 8 + (int)(log(1)/log(16)*8) = 8
        assertEquals(8 + 2, bucket(-16, true, 32, 128));            // log(2)/log(16)*8 = 2
        assertEquals(8 + 4, bucket(-32, true, 32, 128));            // log(4)/log(16)*8 = 4
        assertEquals(15, bucket(-127, true, 32, 128));
        assertEquals(15, bucket(-5000, true, 32, 128));             // clamped to n − 1
        assertEquals(31, bucket(5000, true, 32, 128));
    }

    @Test
    void causalBuckets() {
        // n = 32, exact up to 16; keys after the query (rel > 0) fall in bucket 0 (masked anyway)
        assertEquals(0, bucket(5, false, 32, 128));
        assertEquals(0, bucket(0, false, 32, 128));
        assertEquals(15, bucket(-15, false, 32, 128));
        assertEquals(16, bucket(-16, false, 32, 128));
        assertEquals(16 + 10, bucket(-64, false, 32, 128));         // (int)(log(4)/log(8)*16) = (int)10.67
    }
}
