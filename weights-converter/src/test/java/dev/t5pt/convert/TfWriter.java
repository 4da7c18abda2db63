package dev.t5pt.convert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A test-side writer of TensorFlow V2 checkpoints (one shard, uncompressed index block, no key prefix sharing),
 * independent of the reader: it follows the format description, so reader and writer only agree when both
 * follow it. Tensors are given as (dtype enum, shape, little-endian bytes).
 */
final class TfWriter {
    record Tensor(int dtype, long[] shape, byte[] data) {
    }

    private final Map<String, Tensor> tensors = new TreeMap<>();

    TfWriter add(String name, int dtype, long[] shape, byte[] data) {
        tensors.put(name, new Tensor(dtype, shape, data));
        return this;
    }

    void write(Path prefix) throws IOException {
        ByteArrayOutputStream shard = new ByteArrayOutputStream();
        Map<String, byte[]> entries = new TreeMap<>();
        entries.put("", concat(varintField(1, 1), varintField(2, 0), bytesField(3, varintField(1, 1))));
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ByteArrayOutputStream shape = new ByteArrayOutputStream();
            for (long d : t.shape) {
                shape.writeBytes(bytesField(2, varintField(1, d)));
            }
            byte[] crc = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(Crc32cMask.mask(Crc32cMask.crc(t.data, 0, t.data.length))).array();
            entries.put(e.getKey(), concat(varintField(1, t.dtype), bytesField(2, shape.toByteArray()), varintField(3, 0),
                    varintField(4, shard.size()), varintField(5, t.data.length), new byte[]{(6 << 3) | 5}, crc));
            shard.writeBytes(t.data);
        }
        ByteArrayOutputStream index = new ByteArrayOutputStream();
        byte[] data = block(entries);
        long dataOffset = index.size();
        index.writeBytes(trailer(data));
        byte[] meta = block(Map.of());
        long metaOffset = index.size();
        index.writeBytes(trailer(meta));
        String last = ((TreeMap<String, byte[]>) entries).lastKey();
        byte[] idx = block(Map.of(last + "\u0000", concat(varint(dataOffset), varint(data.length))));
        long idxOffset = index.size();
        index.writeBytes(trailer(idx));
        byte[] footer = new byte[48];
        byte[] handles = concat(varint(metaOffset), varint(meta.length), varint(idxOffset), varint(idx.length));
        System.arraycopy(handles, 0, footer, 0, handles.length);
        ByteBuffer.wrap(footer, 40, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(SsTable.MAGIC);
        index.writeBytes(footer);
        Files.write(prefix.resolveSibling(prefix.getFileName() + ".index"), index.toByteArray());
        Files.write(prefix.resolveSibling(prefix.getFileName() + ".data-00000-of-00001"), shard.toByteArray());
    }

    private static byte[] block(Map<String, byte[]> entries) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(entries).entrySet()) {
            byte[] k = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            b.writeBytes(concat(varint(0), varint(k.length), varint(e.getValue().length), k, e.getValue()));
        }
        b.writeBytes(new byte[]{0, 0, 0, 0, 1, 0, 0, 0}); // one restart point at 0, count 1
        return b.toByteArray();
    }

    private static byte[] trailer(byte[] block) {
        byte[] withType = concat(block, new byte[]{0});
        int crc = Crc32cMask.mask(Crc32cMask.crc(withType, 0, withType.length));
        return concat(withType, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(crc).array());
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            b.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        b.write((int) v);
        return b.toByteArray();
    }

    static byte[] varintField(int field, long v) {
        return concat(varint((long) field << 3), varint(v));
    }

    static byte[] bytesField(int field, byte[] v) {
        return concat(varint(((long) field << 3) | 2), varint(v.length), v);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
