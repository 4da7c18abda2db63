package dev.t5pt.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header mapping
 * names to {dtype, shape, data_offsets}, then the raw little-endian data. The whole header is validated
 * on open (sizes, offsets inside the file, no overlaps, shape products that match the byte ranges), so
 * a bad file fails with one message naming it before any tensor is read.
 */
public final class SafetensorsFile implements Closeable {
    /** Headers larger than this are refused (the format's reference implementation uses the same cap). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(IoErrors.requireFile(path, "a .safetensors file"), StandardOpenOption.READ);
        try {
            return parse(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsException(path, "truncated: the file is " + size
                    + " bytes, a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, path);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            String kind = FileKind.guess(lenBuf.array());
            throw new SafetensorsException(path, kind != null
                    ? "not a safetensors file: it looks like " + kind + " (a safetensors file starts with an 8-byte header length, then a JSON header)"
                    : "header length " + Long.toUnsignedString(headerLen) + " is outside [2, " + MAX_HEADER_BYTES
                    + "] bytes: not a safetensors file, or a damaged one");
        }
        if (headerLen > size - 8) {
            throw new SafetensorsException(path, "truncated: the header claims " + headerLen
                    + " bytes but only " + (size - 8) + " follow the length field");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, 8, path);
        JsonNode root;
        try {
            root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(path, "header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(e.getKey(), parseEntry(path, e.getKey(), e.getValue(), dataSize));
        }
        checkNoOverlap(path, tensors.values());
        return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode e, long dataSize)
            throws SafetensorsException {
        String where = "tensor '" + name + "': ";
        DType dtype = DType.parse(e.path("dtype").asText(""));
        if (dtype == null) {
            throw new SafetensorsException(path, where + "unsupported dtype " + e.get("dtype")
                    + " (expected one of F32, F16, BF16, F64, I64, I32, I8, U8, BOOL)");
        }
        JsonNode shapeNode = e.get("shape");
        JsonNode offs = e.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray() || offs == null || !offs.isArray() || offs.size() != 2) {
            throw new SafetensorsException(path, where + "expected \"shape\": [..] and \"data_offsets\": [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.longValue() < 0) {
                throw new SafetensorsException(path, where + "shape " + shapeNode + " has a bad dimension " + d);
            }
            shape[i] = d.longValue();
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(path, where + "shape " + shapeNode + " overflows 64-bit element count");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, (long) dtype.size);
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(path, where + "shape " + shapeNode + " overflows 64-bit byte count");
        }
        JsonNode b = offs.get(0);
        JsonNode en = offs.get(1);
        if (!b.isIntegralNumber() || !en.isIntegralNumber() || !b.canConvertToLong() || !en.canConvertToLong()) {
            throw new SafetensorsException(path, where + "data_offsets " + offs + " are not integers");
        }
        long begin = b.longValue();
        long end = en.longValue();
        if (begin < 0 || end < begin) {
            throw new SafetensorsException(path, where + "data_offsets " + offs + " are not an increasing range");
        }
        if (end > dataSize) {
            throw new SafetensorsException(path, where + "data_offsets " + offs + " run past the end of the data ("
                    + dataSize + " bytes; the file is truncated or the header is wrong)");
        }
        if (end - begin != bytes) {
            throw new SafetensorsException(path, where + dtype + " " + shapeNode + " needs " + bytes
                    + " bytes but data_offsets " + offs + " span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, java.util.Collection<TensorInfo> all) throws SafetensorsException {
        List<TensorInfo> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end() && cur.end() > cur.begin()) {
                throw new SafetensorsException(path, "tensors '" + prev.name() + "' [" + prev.begin() + ", "
                        + prev.end() + ") and '" + cur.name() + "' [" + cur.begin() + ", " + cur.end() + ") overlap");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor entries in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path, "no tensor named '" + name + "'");
        }
        return t;
    }

    /**
     * Reads one tensor into a new array: F32/F16/BF16 as FLOAT, integers in their own ND4J type.
     */
    public INDArray read(String name) throws IOException {
        TensorInfo t = info(name);
        INDArray out = Nd4j.createUninitialized(t.dtype().loadedAs, t.shape(), 'c');
        readInto(t, out);
        return out;
    }

    /**
     * One tensor's bytes as a read-only mapping of the file (little-endian; valid after the file is closed, until
     * the buffer is collected).
     */
    public ByteBuffer map(TensorInfo t) throws IOException {
        long n = t.end() - t.begin();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path, "tensor '" + t.name() + "' is " + n + " bytes, over 2 GiB");
        }
        return channel.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), n)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads one tensor's raw little-endian bytes. */
    public ByteBuffer readRaw(TensorInfo t) throws IOException {
        long n = t.end() - t.begin();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path, "tensor '" + t.name() + "' is " + n + " bytes, over 2 GiB");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) n).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, buf, dataStart + t.begin(), path);
        return buf.flip();
    }

    private void readInto(TensorInfo t, INDArray out) throws IOException {
        long n = t.numElements();
        if (n == 0) {
            return;
        }
        ByteBuffer dst = out.data().asNio().order(ByteOrder.nativeOrder());
        dst.clear().limit((int) (n * out.dataType().width()));
        boolean direct = (t.dtype() == DType.F32 || !t.dtype().isFloating()) && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        if (direct) {
            readFully(channel, dst, dataStart + t.begin(), path);
        } else {
            ByteBuffer src = readRaw(t);
            switch (t.dtype()) {
                case F16 -> {
                    for (long i = 0; i < n; i++) {
                        dst.putFloat(HalfFloats.f16ToFloat(src.getShort()));
                    }
                }
                case BF16 -> {
                    for (long i = 0; i < n; i++) {
                        dst.putFloat(HalfFloats.bf16ToFloat(src.getShort()));
                    }
                }
                case F64 -> {
                    for (long i = 0; i < n; i++) {
                        dst.putDouble(src.getDouble());
                    }
                }
                default -> throw new SafetensorsException(path, "cannot convert " + t.dtype());
            }
        }
        Nd4j.getAffinityManager().tagLocation(out, AffinityManager.Location.HOST);
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new EOFException(path + ": truncated: unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
