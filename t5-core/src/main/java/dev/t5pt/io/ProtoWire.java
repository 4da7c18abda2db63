package dev.t5pt.io;

import java.nio.charset.StandardCharsets;

/**
 * A cursor over protobuf wire-format bytes [pos, end): the handful of reads hand-decoded protos need
 * (SentencePiece's ModelProto, TensorFlow's BundleEntryProto). Every read is bounds-checked and fails with
 * an IllegalArgumentException naming the byte position.
 */
public final class ProtoWire {
    private final byte[] b;
    private int pos;
    private final int end;

    public ProtoWire(byte[] b, int pos, int end) {
        this.b = b;
        this.pos = pos;
        this.end = end;
    }

    /** A cursor over all of {@code b}. */
    public ProtoWire(byte[] b) {
        this(b, 0, b.length);
    }

    public boolean more() {
        return pos < end;
    }

    public long varint64() {
        long r = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new IllegalArgumentException("truncated varint at byte " + pos);
            }
            byte x = b[pos++];
            r |= (long) (x & 0x7f) << shift;
            if (x >= 0) {
                return r;
            }
        }
        throw new IllegalArgumentException("malformed varint at byte " + pos);
    }

    public int varint32() {
        return (int) varint64();
    }

    public int fixed32() {
        need(4);
        int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8 | (b[pos + 2] & 0xff) << 16 | (b[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    public ProtoWire message() {
        int len = length();
        ProtoWire w = new ProtoWire(b, pos, pos + len);
        pos += len;
        return w;
    }

    public byte[] bytes() {
        int len = length();
        byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + len);
        pos += len;
        return out;
    }

    public String string() {
        int len = length();
        String s = new String(b, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** The next {@code n} bytes, unframed. */
    public byte[] raw(long n) {
        if (n < 0 || n > end - pos) {
            throw new IllegalArgumentException(n + " bytes at byte " + pos + " run past the end");
        }
        byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    /** Position of the next byte to read. */
    public int position() {
        return pos;
    }

    private int length() {
        long len = varint64();
        if (len < 0 || len > end - pos) {
            throw new IllegalArgumentException("length " + len + " at byte " + pos + " runs past the end");
        }
        return (int) len;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw new IllegalArgumentException("truncated at byte " + pos);
        }
    }

    public void skip(int tag) {
        switch (tag & 7) {
            case 0 -> varint64();
            case 1 -> {
                need(8);
                pos += 8;
            }
            case 2 -> {
                int len = length(); // not "pos += length()": that would add to pos as read before the varint
                pos += len;
            }
            case 5 -> {
                need(4);
                pos += 4;
            }
            default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7) + " at byte " + pos);
        }
    }
}
