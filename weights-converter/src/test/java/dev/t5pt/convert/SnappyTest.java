package dev.t5pt.convert;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Snappy's element kinds by hand (the real TF fixtures cover genuine compressor output), and hostile streams. */
class SnappyTest {
    static String inflate(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return new String(Snappy.decompress(b, 0, b.length, 1 << 20), StandardCharsets.ISO_8859_1);
    }

    @Test
    void literalsAndCopies() {
        // length 11; literal "abcd"; copy-1 (len 4, offset 4); copy-2 (len 3, offset 1: overlapping run)
        assertEquals("abcdabcdddd", inflate(11, 3 << 2, 'a', 'b', 'c', 'd', 0b000_000_01, 4, (2 << 2) | 2, 1, 0));
        // copy-4 element
        assertEquals("xyxy", inflate(4, 1 << 2, 'x', 'y', (1 << 2) | 3, 2, 0, 0, 0));
        // long literal: length-1 in one extra byte (tag 60)
        int[] lit = new int[3 + 61];
        lit[0] = 61;
        lit[1] = 60 << 2;
        lit[2] = 60;
        for (int i = 0; i < 61; i++) {
            lit[3 + i] = 'q';
        }
        assertEquals("q".repeat(61), inflate(lit));
    }

    @Test
    void hostileStreams() {
        var e = assertThrows(IllegalArgumentException.class, () -> inflate(4, 0b000_000_01, 9));
        assertTrue(e.getMessage().contains("offset"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> inflate(2, 3 << 2, 'a', 'b', 'c', 'd'));   // past declared length
        assertThrows(IllegalArgumentException.class, () -> inflate(5, 1 << 2, 'a', 'b'));             // short output
        assertThrows(IllegalArgumentException.class, () -> inflate(0xff, 0xff, 0xff, 0xff, 0x0f));   // 4 GB claim
        assertThrows(IllegalArgumentException.class, () -> inflate(8, 10 << 2, 'a'));                // truncated literal
    }
}
