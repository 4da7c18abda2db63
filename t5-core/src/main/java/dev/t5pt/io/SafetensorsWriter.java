package dev.t5pt.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects named arrays and writes them as one safetensors file (keys sorted, header padded with spaces
 * to a multiple of 8 bytes, as torch's writer does), atomically: the target appears only complete.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Produces a tensor's little-endian bytes when the writer reaches it (so huge models stream). */
    @FunctionalInterface
    public interface Bytes {
        ByteBuffer get() throws IOException;
    }

    /** Makes an array when the writer reaches it; the writer closes it once its bytes are out. */
    @FunctionalInterface
    public interface Lazy {
        INDArray get() throws IOException;
    }

    /** A tensor to write; {@code written} runs once its bytes are out (to free what made them). */
    private record Entry(DType storeAs, long[] shape, Bytes bytes, Runnable written) {
        Entry(DType storeAs, long[] shape, Bytes bytes) {
            this(storeAs, shape, bytes, () -> { });
        }
    }

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds an array stored in its own type (FLOAT → F32, LONG → I64, ...). */
    public SafetensorsWriter put(String name, INDArray array) {
        return put(name, array, DType.of(array.dataType()));
    }

    /** Adds an array, converting a FLOAT array to F16 or BF16 when asked. */
    public SafetensorsWriter put(String name, INDArray array, DType storeAs) {
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        boolean ok = storeAs == DType.of(array.dataType())
                || (array.dataType() == DataType.FLOAT && (storeAs == DType.F16 || storeAs == DType.BF16));
        if (!ok) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot store " + array.dataType() + " as " + storeAs);
        }
        entries.put(name, new Entry(storeAs, array.shape(), () -> encode(array, storeAs)));
        return this;
    }

    /**
     * Adds a tensor given as raw little-endian bytes of {@code dtype}, produced only while writing; the
     * supplier must return exactly numElements × dtype.size bytes.
     */
    public SafetensorsWriter putRaw(String name, DType dtype, long[] shape, Bytes bytes) {
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        entries.put(name, new Entry(dtype, shape.clone(), bytes));
        return this;
    }

    /**
     * Adds a FLOAT tensor of {@code shape} made only when the writer reaches it and closed right after, stored as
     * {@code storeAs} (F32, F16 or BF16): a model far larger than memory streams out one tensor at a time.
     */
    public SafetensorsWriter putLazy(String name, DType storeAs, long[] shape, Lazy array) {
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        if (storeAs != DType.F32 && storeAs != DType.F16 && storeAs != DType.BF16) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot store FLOAT as " + storeAs);
        }
        long[] expected = shape.clone();
        INDArray[] made = {null};
        entries.put(name, new Entry(storeAs, expected, () -> {
            made[0] = array.get();
            if (made[0].dataType() != DataType.FLOAT || !java.util.Arrays.equals(made[0].shape(), expected)) {
                throw new IOException("tensor '" + name + "': expected FLOAT " + java.util.Arrays.toString(expected)
                        + ", made " + made[0].dataType() + " " + java.util.Arrays.toString(made[0].shape()));
            }
            return encode(made[0], storeAs);
        }, () -> {
            if (made[0] != null) {
                made[0].close();
                made[0] = null;
            }
        }));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public int size() {
        return entries.size();
    }

    public void write(Path file) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            long n = 1;
            for (long s : e.getValue().shape()) {
                n = Math.multiplyExact(n, s);
            }
            long bytes = n * e.getValue().storeAs().size;
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().storeAs().name());
            var shape = t.putArray("shape");
            for (long s : e.getValue().shape()) {
                shape.add(s);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(file, ch -> {
            writeAll(ch, head);
            long offset2 = 0;
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                ByteBuffer b = e.getValue().bytes().get();
                long expected = header.get(e.getKey()).get("data_offsets").get(1).asLong() - offset2;
                if (b.remaining() != expected) {
                    throw new IOException("tensor '" + e.getKey() + "': " + b.remaining() + " bytes supplied, "
                            + expected + " expected");
                }
                offset2 += expected;
                writeAll(ch, b);
                e.getValue().written().run();
            }
        });
    }

    private static ByteBuffer encode(INDArray a, DType storeAs) {
        if (a.length() == 0) {
            return ByteBuffer.allocate(0);
        }
        INDArray c = (a.ordering() == 'c' && a.isView() == false && a.offset() == 0) ? a : a.dup('c');
        ByteBuffer src = c.data().asNio().order(ByteOrder.nativeOrder());
        src.clear().limit((int) (c.length() * c.dataType().width()));
        if (storeAs == DType.of(c.dataType())) {
            if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                return src;
            }
            throw new UnsupportedOperationException("big-endian hosts are not supported");
        }
        ByteBuffer out = ByteBuffer.allocate((int) (c.length() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < c.length(); i++) {
            float f = src.getFloat();
            out.putShort(storeAs == DType.BF16 ? HalfFloats.floatToBf16(f) : HalfFloats.floatToF16(f));
        }
        return out.flip();
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
