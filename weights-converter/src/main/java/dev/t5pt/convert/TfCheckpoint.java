package dev.t5pt.convert;

import dev.t5pt.io.DType;
import dev.t5pt.io.ProtoWire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorFlow V2 checkpoint ("tensor bundle"): {@code PREFIX.index}, a LevelDB table whose entry "" is a
 * BundleHeaderProto and every other entry a BundleEntryProto (dtype, shape, shard, offset, size, masked
 * CRC-32C), and the data shards {@code PREFIX.data-0000i-of-0000n}. Written by tf.train.Saver (TF1),
 * tf.train.Checkpoint (TF2) and Mesh TensorFlow, i.e. the format of Google's original T5 releases.
 */
public final class TfCheckpoint implements Checkpoint {

    /** One BundleEntryProto. */
    record Entry(int dtype, long[] shape, int shard, long offset, long size, int maskedCrc) {
    }

    private final Path prefix;
    private final int numShards;
    private final Map<String, Entry> entries;
    private final List<SourceTensor> tensors = new ArrayList<>();
    private final Map<Integer, FileChannel> open = new LinkedHashMap<>();

    private TfCheckpoint(Path prefix, int numShards, Map<String, Entry> entries) {
        this.prefix = prefix;
        this.numShards = numShards;
        this.entries = entries;
        entries.forEach((name, e) -> tensors.add(new SourceTensor(name, TfDataType.name(e.dtype),
                TfDataType.dtype(e.dtype), e.shape, null, shardFile(e.shard).getFileName() + "@" + e.offset)));
    }

    /**
     * Opens {@code prefix}: the path prefix ({@code .../model.ckpt-1000}), the {@code .index} file itself, or a
     * directory holding a {@code checkpoint} state file that names the latest prefix.
     */
    public static TfCheckpoint open(Path path) throws IOException {
        Path prefix = resolvePrefix(path);
        Path index = indexOf(prefix);
        Map<String, byte[]> table = SsTable.read(index);
        byte[] header = table.remove("");
        if (header == null) {
            throw new ConvertException(index + ": no bundle header entry (key \"\"); not a TensorFlow V2 checkpoint index");
        }
        int numShards = 1;
        int endianness = 0;
        try {
            ProtoWire w = new ProtoWire(header);
            while (w.more()) {
                int tag = w.varint32();
                switch (tag) {
                    case (1 << 3) -> numShards = w.varint32();
                    case (2 << 3) -> endianness = w.varint32();
                    default -> w.skip(tag);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ConvertException(index + ": malformed BundleHeaderProto: " + e.getMessage());
        }
        if (endianness != 0) {
            throw new ConvertException(index + ": the checkpoint was written big-endian; only little-endian is supported");
        }
        if (numShards < 1 || numShards > 100_000) {
            throw new ConvertException(index + ": bundle header declares " + numShards + " shards");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : table.entrySet()) {
            entries.put(e.getKey(), entry(index, e.getKey(), e.getValue(), numShards));
        }
        return new TfCheckpoint(prefix, numShards, entries);
    }

    /** True when {@code path} looks like a TF checkpoint prefix, index, or a directory with a checkpoint file. */
    static boolean looksLike(Path path) {
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve("checkpoint"));
        }
        String n = path.getFileName().toString();
        return n.endsWith(".index") || Files.isRegularFile(path.resolveSibling(n + ".index"));
    }

    private static Path resolvePrefix(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path state = path.resolve("checkpoint");
            if (!Files.isRegularFile(state)) {
                throw new ConvertException(path + ": a directory without a 'checkpoint' file; give the checkpoint"
                        + " prefix instead, e.g. " + path.resolve("model.ckpt-1000"));
            }
            for (String line : Files.readAllLines(state)) {
                line = line.strip();
                if (line.startsWith("model_checkpoint_path:")) {
                    String p = line.substring(line.indexOf(':') + 1).strip();
                    if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) {
                        p = p.substring(1, p.length() - 1);
                    }
                    return path.resolve(p);
                }
            }
            throw new ConvertException(state + ": no model_checkpoint_path line");
        }
        String n = path.getFileName().toString();
        return n.endsWith(".index") ? path.resolveSibling(n.substring(0, n.length() - ".index".length())) : path;
    }

    private static Path indexOf(Path prefix) throws ConvertException {
        Path index = prefix.resolveSibling(prefix.getFileName() + ".index");
        if (!Files.isRegularFile(index)) {
            throw new ConvertException(index + ": missing; a TensorFlow checkpoint is given by its prefix"
                    + " (e.g. .../model.ckpt-1000 for model.ckpt-1000.index and model.ckpt-1000.data-*)");
        }
        return index;
    }

    private static Entry entry(Path index, String name, byte[] proto, int numShards) throws ConvertException {
        int dtype = 0;
        List<Long> dims = new ArrayList<>();
        int shard = 0;
        long offset = 0;
        long size = 0;
        int crc = 0;
        boolean sliced = false;
        try {
            ProtoWire w = new ProtoWire(proto);
            while (w.more()) {
                int tag = w.varint32();
                switch (tag) {
                    case (1 << 3) -> dtype = w.varint32();
                    case (2 << 3) | 2 -> shape(w.message(), dims);
                    case (3 << 3) -> shard = w.varint32();
                    case (4 << 3) -> offset = w.varint64();
                    case (5 << 3) -> size = w.varint64();
                    case (6 << 3) | 5 -> crc = w.fixed32();
                    case (7 << 3) | 2 -> {
                        sliced = true;
                        w.skip(tag);
                    }
                    default -> w.skip(tag);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ConvertException(index + ": entry '" + name + "': malformed BundleEntryProto: " + e.getMessage());
        }
        String where = index + ": entry '" + name + "'";
        if (sliced) {
            throw new ConvertException(where + " is a partitioned variable (TensorSliceProto slices); re-save the"
                    + " checkpoint unpartitioned");
        }
        if (shard < 0 || shard >= numShards) {
            throw new ConvertException(where + ": shard " + shard + " outside the " + numShards + " shards of the header");
        }
        if (offset < 0 || size < 0) {
            throw new ConvertException(where + ": negative offset " + offset + " or size " + size);
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        DType t = TfDataType.dtype(dtype);
        if (TfDataType.name(dtype).startsWith("DT_?")) {
            throw new ConvertException(where + ": unknown dtype enum " + dtype);
        }
        if (t != null) {
            long expected;
            try {
                expected = Math.multiplyExact(Shapes.numElements(shape, name), (long) t.size);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new ConvertException(where + ": shape " + java.util.Arrays.toString(shape) + " overflows 64 bits");
            }
            if (expected != size) {
                throw new ConvertException(where + ": " + TfDataType.name(dtype) + " " + java.util.Arrays.toString(shape)
                        + " needs " + expected + " bytes but the entry records " + size);
            }
        }
        return new Entry(dtype, shape, shard, offset, size, crc);
    }

    private static void shape(ProtoWire w, List<Long> dims) {
        while (w.more()) {
            int tag = w.varint32();
            if (tag == ((2 << 3) | 2)) {
                ProtoWire d = w.message();
                long size = 0;
                while (d.more()) {
                    int t = d.varint32();
                    if (t == (1 << 3)) {
                        size = d.varint64();
                    } else {
                        d.skip(t);
                    }
                }
                dims.add(size);
            } else if (tag == (3 << 3)) {
                if (w.varint64() != 0) {
                    throw new IllegalArgumentException("unknown rank");
                }
            } else {
                w.skip(tag);
            }
        }
    }

    Path shardFile(int shard) {
        return prefix.resolveSibling(String.format("%s.data-%05d-of-%05d", prefix.getFileName(), shard, numShards));
    }

    boolean shardPresent(int shard) {
        return Files.isRegularFile(shardFile(shard));
    }

    @Override
    public boolean dataPresent(SourceTensor t) {
        return shardPresent(entry(t).shard());
    }

    @Override
    public boolean meshTensorFlowNames() {
        return true;
    }

    @Override
    public dev.t5pt.config.T5Config configWithoutJson(java.util.Map<String, long[]> shapes, String[] source) throws IOException {
        Path ginFile = directory().resolve(GinConfig.FILE);
        GinConfig gin = Files.isRegularFile(ginFile) ? GinConfig.read(ginFile) : null;
        source[0] = gin != null ? ginFile + " + tensor shapes" : "inferred from tensor shapes (no --config, no " + GinConfig.FILE + ")";
        return ConfigInference.infer(shapes, gin, source().toString());
    }

    /** Fails, naming the first missing data shard, unless every shard holding one of {@code needed} exists. */
    @Override
    public void requireData(java.util.Collection<SourceTensor> needed) throws ConvertException {
        for (SourceTensor t : needed) {
            Entry e = entries.get(t.name());
            if (!shardPresent(e.shard)) {
                throw missingShard(t, e);
            }
        }
    }

    private ConvertException missingShard(SourceTensor t, Entry e) {
        return new ConvertException(shardFile(e.shard) + ": missing; " + prefix.getFileName() + ".index stores '"
                + t.name() + "' in shard " + e.shard + " of " + numShards);
    }

    Entry entry(SourceTensor t) {
        return entries.get(t.name());
    }

    /** The directory the checkpoint lives in (where operative_config.gin may be). */
    public Path directory() {
        return prefix.toAbsolutePath().getParent();
    }

    @Override
    public String format() {
        return "tensorflow";
    }

    @Override
    public Path source() {
        return prefix;
    }

    @Override
    public List<SourceTensor> tensors() {
        return tensors;
    }

    @Override
    public String details(SourceTensor t) {
        Entry e = entries.get(t.name());
        return String.format("%d\t%d\t%d\t%08x\t%08x", e.shard, e.offset, e.size, e.maskedCrc, Crc32cMask.unmask(e.maskedCrc));
    }

    /** The stored bytes of any entry (strings included), checksum verified. */
    @Override
    public ByteBuffer readStored(SourceTensor t) throws IOException {
        Entry e = entries.get(t.name());
        Path file = shardFile(e.shard);
        FileChannel ch = open.get(e.shard);
        if (ch == null) {
            if (!Files.isRegularFile(file)) {
                throw missingShard(t, e);
            }
            ch = FileChannel.open(file, StandardOpenOption.READ);
            open.put(e.shard, ch);
        }
        long fileSize = ch.size();
        if (e.offset + e.size > fileSize || e.offset + e.size < 0) {
            throw new ConvertException(file + ": '" + t.name() + "' needs bytes [" + e.offset + ", " + (e.offset + e.size)
                    + ") but the shard has only " + fileSize + " (truncated?)");
        }
        if (e.size > Integer.MAX_VALUE - 16) {
            throw new ConvertException(file + ": '" + t.name() + "' is " + e.size + " bytes; tensors over 2 GB are not supported");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) e.size).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (ch.read(buf, e.offset + buf.position()) < 0) {
                throw new ConvertException(file + ": unexpected end of file reading '" + t.name() + "'");
            }
        }
        buf.flip();
        int actual = Crc32cMask.mask(e.dtype == TfDataType.DT_STRING ? stringCrc(t, buf) : Crc32cMask.crc(buf));
        if (actual != e.maskedCrc) {
            throw new ConvertException(String.format("%s: '%s' fails its checksum: the index records masked CRC-32C %08x,"
                    + " the %d bytes at offset %d give %08x (corrupt shard?)", file, t.name(), e.maskedCrc, e.size,
                    e.offset, actual));
        }
        return buf;
    }

    /**
     * TensorFlow's checksum of a string tensor, stored as varint lengths, a 4-byte masked checksum of those
     * lengths, then the bytes: the CRC runs over each length as a little-endian uint32 (uint64 when longer
     * than 4 GB), not over the varints, then over the rest as stored.
     */
    private static int stringCrc(SourceTensor t, ByteBuffer buf) throws ConvertException {
        long n = t.numElements();
        byte[] all = new byte[buf.remaining()];
        buf.duplicate().get(all);
        ProtoWire w = new ProtoWire(all);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (long i = 0; i < n; i++) {
                long size = w.varint64();
                len.clear();
                if (size >= 0 && size <= 0xffffffffL) {
                    len.putInt((int) size);
                } else {
                    len.putLong(size);
                }
                crc.update(len.array(), 0, len.position());
            }
        } catch (IllegalArgumentException e) {
            throw new ConvertException("'" + t.name() + "': malformed string tensor lengths: " + e.getMessage());
        }
        crc.update(all, w.position(), all.length - w.position());
        return (int) crc.getValue();
    }

    /** The first string of a string tensor: its length and up to 16 leading bytes in hex. */
    static String stringSummary(SourceTensor t, ByteBuffer buf) {
        byte[] all = new byte[buf.remaining()];
        buf.duplicate().get(all);
        ProtoWire w = new ProtoWire(all);
        long n = t.numElements();
        if (n == 0) {
            return "strings: none";
        }
        long first = w.varint64();
        for (long i = 1; i < n; i++) {
            w.varint64();
        }
        int start = w.position() + 4; // after the lengths' checksum
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(16, first) && start + i < all.length; i++) {
            hex.append(String.format("%02x", all[start + i]));
        }
        return (n == 1 ? "" : "count=" + n + " first ") + "strings: len=" + first + " hex_prefix=" + hex;
    }

    @Override
    public ByteBuffer read(SourceTensor t) throws IOException {
        if (t.dtype() == null) {
            throw new ConvertException(prefix + ": '" + t.name() + "' is " + t.typeName() + ", not a numeric tensor");
        }
        return readStored(t);
    }

    @Override
    public void close() throws IOException {
        for (FileChannel ch : open.values()) {
            ch.close();
        }
        open.clear();
    }
}
