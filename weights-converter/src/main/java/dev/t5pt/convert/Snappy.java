package dev.t5pt.convert;

/**
 * Decompressor for raw Snappy blocks (the compression of LevelDB/TensorFlow table blocks): a varint
 * uncompressed length, then literals and back-references. Every length and offset is checked against the
 * declared size and the bytes produced so far, so a hostile block fails instead of over-reading or growing.
 */
final class Snappy {
    private Snappy() {
    }

    /** Decompresses {@code in[from, to)}; the result may be at most {@code maxLength} bytes. */
    static byte[] decompress(byte[] in, int from, int to, int maxLength) {
        int p = from;
        long length = 0;
        for (int shift = 0; ; shift += 7) {
            if (p >= to || shift > 28) {
                throw new IllegalArgumentException("snappy: bad length preamble");
            }
            int b = in[p++] & 0xff;
            length |= (long) (b & 0x7f) << shift;
            if (b < 0x80) {
                break;
            }
        }
        if (length > maxLength) {
            throw new IllegalArgumentException("snappy: declares " + length + " bytes, more than the limit " + maxLength);
        }
        byte[] out = new byte[(int) length];
        int o = 0;
        while (p < to) {
            int tag = in[p++] & 0xff;
            int kind = tag & 3;
            if (kind == 0) { // literal
                int len = tag >>> 2;
                if (len >= 60) {
                    int extra = len - 59;
                    if (p + extra > to) {
                        throw new IllegalArgumentException("snappy: truncated literal length");
                    }
                    len = 0;
                    for (int i = 0; i < extra; i++) {
                        len |= (in[p++] & 0xff) << (8 * i);
                    }
                    if (len < 0) {
                        throw new IllegalArgumentException("snappy: literal length overflows");
                    }
                }
                len += 1;
                if (len > to - p || len > out.length - o) {
                    throw new IllegalArgumentException("snappy: literal of " + len + " bytes runs past the block");
                }
                System.arraycopy(in, p, out, o, len);
                p += len;
                o += len;
            } else {
                int len;
                int offset;
                if (kind == 1) {
                    if (p >= to) {
                        throw new IllegalArgumentException("snappy: truncated copy");
                    }
                    len = 4 + ((tag >>> 2) & 7);
                    offset = ((tag >>> 5) << 8) | (in[p++] & 0xff);
                } else {
                    int n = kind == 2 ? 2 : 4;
                    if (p + n > to) {
                        throw new IllegalArgumentException("snappy: truncated copy");
                    }
                    len = 1 + (tag >>> 2);
                    offset = 0;
                    for (int i = 0; i < n; i++) {
                        offset |= (in[p++] & 0xff) << (8 * i);
                    }
                }
                if (offset <= 0 || offset > o) {
                    throw new IllegalArgumentException("snappy: copy offset " + offset + " outside the " + o + " bytes produced");
                }
                if (len > out.length - o) {
                    throw new IllegalArgumentException("snappy: copy runs past the declared length " + out.length);
                }
                for (int i = 0; i < len; i++, o++) { // byte by byte: source and destination may overlap
                    out[o] = out[o - offset];
                }
            }
        }
        if (o != out.length) {
            throw new IllegalArgumentException("snappy: produced " + o + " bytes, declared " + out.length);
        }
        return out;
    }
}
