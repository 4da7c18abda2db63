package dev.t5pt.convert;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC-32C as LevelDB and TensorFlow store it: "masked", so that a CRC of data holding CRCs stays unlikely. */
final class Crc32cMask {
    private static final int DELTA = 0xa282ead8;

    private Crc32cMask() {
    }

    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + DELTA;
    }

    static int unmask(int masked) {
        int rot = masked - DELTA;
        return (rot >>> 17) | (rot << 15);
    }

    static int crc(byte[] b, int from, int len) {
        CRC32C c = new CRC32C();
        c.update(b, from, len);
        return (int) c.getValue();
    }

    /** CRC of the buffer's remaining bytes; the buffer's position is left unchanged. */
    static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return (int) c.getValue();
    }
}
