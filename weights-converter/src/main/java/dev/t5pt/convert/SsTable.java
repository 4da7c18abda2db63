package dev.t5pt.convert;

import dev.t5pt.io.ProtoWire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reader for the LevelDB table format TensorFlow uses for checkpoint indexes ({@code *.index}): a 48-byte
 * footer (metaindex and index block handles, magic 0xdb4775248b80fb57), an index block pointing at data
 * blocks, and blocks of prefix-compressed key/value entries with a restart array. Every block's trailer
 * (compression type + masked CRC-32C) is verified; Snappy-compressed blocks are decompressed.
 */
final class SsTable {
    static final long MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER = 48;
    /** Checkpoint indexes are small (a few hundred bytes per tensor); refuse anything absurd. */
    static final long MAX_INDEX_BYTES = 1L << 30;
    private static final int MAX_BLOCK_BYTES = 256 << 20;

    private final Path file;
    private final byte[] data;

    private SsTable(Path file, byte[] data) {
        this.file = file;
        this.data = data;
    }

    /** Reads the whole table: key → value, in key order. */
    static Map<String, byte[]> read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_INDEX_BYTES) {
            throw new ConvertException(file + ": " + size + " bytes is too large for a checkpoint index");
        }
        SsTable t = new SsTable(file, Files.readAllBytes(file));
        try {
            return t.entries();
        } catch (IllegalArgumentException e) {
            throw new ConvertException(file + ": not a valid TensorFlow checkpoint index: " + e.getMessage(), e);
        }
    }

    private Map<String, byte[]> entries() throws ConvertException {
        if (data.length < FOOTER) {
            throw new ConvertException(file + ": " + data.length + " bytes is shorter than the 48-byte table footer"
                    + " (truncated file?)");
        }
        long magic = 0;
        for (int i = 7; i >= 0; i--) {
            magic = magic << 8 | (data[data.length - 8 + i] & 0xff);
        }
        if (magic != MAGIC) {
            throw new ConvertException(file + ": expected the table magic 0xdb4775248b80fb57 in the last 8 bytes, found 0x"
                    + Long.toHexString(magic) + " (not a TensorFlow index, or truncated)");
        }
        ProtoWire footer = new ProtoWire(data, data.length - FOOTER, data.length - 8);
        footer.varint64(); // metaindex handle: TensorFlow writes no filters or stats, nothing to read there
        footer.varint64();
        long indexOffset = footer.varint64();
        long indexSize = footer.varint64();
        Map<String, byte[]> out = new LinkedHashMap<>();
        byte[] index = block("index", indexOffset, indexSize);
        for (Map.Entry<String, byte[]> e : blockEntries(index).entrySet()) {
            ProtoWire h = new ProtoWire(e.getValue());
            long off = h.varint64();
            long sz = h.varint64();
            out.putAll(blockEntries(block("data", off, sz)));
        }
        return out;
    }

    /** The contents of one block, trailer verified, decompressed if needed. */
    private byte[] block(String what, long offset, long size) throws ConvertException {
        if (offset < 0 || size < 0 || size > MAX_BLOCK_BYTES || offset + size + 5 > data.length - FOOTER) {
            throw new ConvertException(file + ": " + what + " block at " + offset + " (+" + size
                    + " bytes and a 5-byte trailer) lies outside the file's " + data.length + " bytes (truncated?)");
        }
        int o = (int) offset;
        int n = (int) size;
        int type = data[o + n] & 0xff;
        int stored = (data[o + n + 1] & 0xff) | (data[o + n + 2] & 0xff) << 8 | (data[o + n + 3] & 0xff) << 16
                | (data[o + n + 4] & 0xff) << 24;
        int actual = Crc32cMask.mask(Crc32cMask.crc(data, o, n + 1));
        if (stored != actual) {
            throw new ConvertException(String.format("%s: %s block at %d fails its checksum: stored masked CRC-32C %08x,"
                    + " computed %08x (the file is corrupt)", file, what, offset, stored, actual));
        }
        return switch (type) {
            case 0 -> Arrays.copyOfRange(data, o, o + n);
            case 1 -> Snappy.decompress(data, o, o + n, MAX_BLOCK_BYTES);
            default -> throw new ConvertException(file + ": " + what + " block at " + offset
                    + " has compression type " + type + "; expected 0 (none) or 1 (snappy)");
        };
    }

    /** Decodes a block's prefix-compressed entries. */
    private static Map<String, byte[]> blockEntries(byte[] b) {
        if (b.length < 4) {
            throw new IllegalArgumentException("block of " + b.length + " bytes has no restart count");
        }
        int restarts = le32(b, b.length - 4);
        long restartBytes = 4L * restarts + 4;
        if (restarts < 0 || restartBytes > b.length) {
            throw new IllegalArgumentException("block declares " + restarts + " restart points, more than fit in "
                    + b.length + " bytes");
        }
        int end = (int) (b.length - restartBytes);
        Map<String, byte[]> out = new LinkedHashMap<>();
        ProtoWire c = new ProtoWire(b, 0, end);
        byte[] key = new byte[0];
        while (c.more()) {
            long shared = c.varint64();
            long unshared = c.varint64();
            long valueLength = c.varint64();
            if (shared < 0 || shared > key.length) {
                throw new IllegalArgumentException("entry shares " + shared + " key bytes with a key of " + key.length);
            }
            byte[] suffix = c.raw(unshared);
            byte[] k = Arrays.copyOf(key, (int) shared + suffix.length);
            System.arraycopy(suffix, 0, k, (int) shared, suffix.length);
            byte[] v = c.raw(valueLength);
            key = k;
            out.put(new String(k, java.nio.charset.StandardCharsets.UTF_8), v);
        }
        return out;
    }

    static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
