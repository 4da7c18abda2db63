package dev.t5pt.convert;

import dev.t5pt.convert.RestrictedUnpickler.Global;
import dev.t5pt.convert.RestrictedUnpickler.PickleException;
import dev.t5pt.convert.RestrictedUnpickler.Tuple;
import dev.t5pt.io.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/** One file written by {@code torch.save} in the zip format: {@code ARCHIVE/data.pkl} + {@code ARCHIVE/data/KEY}. */
final class TorchZip implements java.io.Closeable {
    /** The pickle of a state dict is small; the tensors live in separate entries. */
    static final long MAX_PICKLE_BYTES = 256L << 20;
    /** torch stores entries uncompressed; a compressed one expanding more than this is treated as a bomb. */
    static final long MAX_RATIO = 200;

    private static final Set<String> REBUILD = Set.of("_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter");
    private static final Map<String, DType> STORAGES = Map.of(
            "FloatStorage", DType.F32, "HalfStorage", DType.F16, "BFloat16Storage", DType.BF16,
            "DoubleStorage", DType.F64, "LongStorage", DType.I64, "IntStorage", DType.I32,
            "CharStorage", DType.I8, "ByteStorage", DType.U8, "BoolStorage", DType.BOOL);

    /** A storage named by a persistent id: ('storage', type, key, location, numel). */
    record Storage(String key, String type, DType dtype, long numel) {
    }

    /** A tensor as _rebuild_tensor_v2 describes it: a strided view of a storage. */
    record View(Storage storage, long offset, long[] size, long[] stride) {
    }

    private final Path file;
    private final ZipFile zip;
    private final String root;
    private final List<SourceTensor> tensors = new ArrayList<>();
    private final Map<String, View> views = new HashMap<>();

    private TorchZip(Path file, ZipFile zip, String root) {
        this.file = file;
        this.zip = zip;
        this.root = root;
    }

    static TorchZip open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConvertException(file + ": no such file");
        }
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] == 2 && n >= 3 && (head[2] & 0xff) == 0x8a) {
            throw new ConvertException(file + ": a PyTorch checkpoint in the legacy (pre-1.6) format; re-save it with"
                    + " a newer torch: torch.save(torch.load(f), f) with torch >= 1.6 writes the zip format");
        }
        if (n >= 262 && new String(head, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar")) {
            throw new ConvertException(file + ": a tar-format PyTorch checkpoint (torch < 0.4); re-save it with torch >= 1.6");
        }
        if (n < 4 || head[0] != 'P' || head[1] != 'K' || head[2] != 3 || head[3] != 4) {
            throw new ConvertException(file + ": expected a zip archive written by torch.save (starts with PK\\3\\4),"
                    + " found " + (n == 0 ? "an empty file" : String.format("bytes %02x %02x %02x %02x", head[0], n > 1 ? head[1] : 0,
                    n > 2 ? head[2] : 0, n > 3 ? head[3] : 0)));
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new ConvertException(file + ": not a readable zip archive (" + e.getMessage() + "; truncated?)");
        }
        try {
            String root = null;
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                String name = all.nextElement().getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    root = name.substring(0, name.length() - "data.pkl".length());
                    break;
                }
            }
            if (root == null) {
                throw new ConvertException(file + ": a zip without ARCHIVE/data.pkl; not written by torch.save");
            }
            TorchZip z = new TorchZip(file, zip, root);
            z.parse();
            return z;
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private void parse() throws IOException {
        ZipEntry pkl = zip.getEntry(root + "data.pkl");
        byte[] pickle = entryBytes(pkl, -1, MAX_PICKLE_BYTES);
        Map<String, Storage> storages = new HashMap<>();
        Object top;
        try {
            top = RestrictedUnpickler.load(pickle, new StateDictCalls(storages));
        } catch (PickleException e) {
            throw new ConvertException(file + ": " + root + "data.pkl: " + e.getMessage());
        }
        if (top instanceof Map<?, ?> m && m.containsKey("state_dict") && m.get("state_dict") instanceof Map<?, ?> inner) {
            top = inner; // a training checkpoint {"state_dict": ..., ...}
        }
        if (!(top instanceof Map<?, ?> dict)) {
            throw new ConvertException(file + ": the pickle holds a " + RestrictedUnpickler.describe(top)
                    + ", expected a state dict (name -> tensor)");
        }
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof View v)) {
                throw new ConvertException(file + ": state dict entry " + e.getKey() + " is a "
                        + RestrictedUnpickler.describe(e.getValue()) + ", expected a tensor");
            }
            check(name, v);
            views.put(name, v);
            String alias = v.storage.key + "@" + v.offset + java.util.Arrays.toString(v.size) + java.util.Arrays.toString(v.stride);
            tensors.add(new SourceTensor(name, "torch." + v.storage.type, v.storage.dtype, v.size, file + ":" + alias,
                    file.getFileName() + ":" + root + "data/" + v.storage.key));
        }
    }

    /** The view must stay inside its storage, and the storage entry must hold exactly numel elements. */
    private void check(String name, View v) throws IOException {
        String where = file + ": '" + name + "'";
        if (v.storage.dtype == null) {
            throw new ConvertException(where + ": storage type " + v.storage.type + " is not supported");
        }
        if (v.size.length != v.stride.length) {
            throw new ConvertException(where + ": " + v.size.length + " sizes but " + v.stride.length + " strides");
        }
        long last = v.offset;
        try {
            long n = Shapes.numElements(v.size, where);
            for (int i = 0; i < v.size.length; i++) {
                if (v.stride[i] < 0) {
                    throw new ConvertException(where + ": negative stride " + v.stride[i]);
                }
                if (v.size[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(v.size[i] - 1, v.stride[i]));
                }
            }
            if (v.offset < 0 || (n > 0 && last >= v.storage.numel)) {
                throw new ConvertException(where + ": view (offset " + v.offset + ", size " + java.util.Arrays.toString(v.size)
                        + ", stride " + java.util.Arrays.toString(v.stride) + ") reaches element " + last
                        + " of a storage with " + v.storage.numel);
            }
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw new ConvertException(where + ": shape/stride arithmetic overflows: " + e.getMessage());
        }
        ZipEntry entry = zip.getEntry(root + "data/" + v.storage.key);
        if (entry == null) {
            throw new ConvertException(where + ": storage entry " + root + "data/" + v.storage.key + " is missing");
        }
        long bytes = Math.multiplyExact(v.storage.numel, (long) v.storage.dtype.size);
        if (entry.getSize() != -1 && entry.getSize() != bytes) {
            throw new ConvertException(where + ": storage " + v.storage.key + " should hold " + v.storage.numel + " "
                    + v.storage.type + " elements (" + bytes + " bytes) but its zip entry holds " + entry.getSize());
        }
        checkRatio(entry);
    }

    /** torch stores entries uncompressed; one that expands by more than {@link #MAX_RATIO} is refused unread. */
    private void checkRatio(ZipEntry e) throws ConvertException {
        long declared = e.getSize();
        long compressed = e.getCompressedSize();
        if (e.getMethod() != ZipEntry.STORED && compressed > 0 && declared / compressed > MAX_RATIO) {
            throw new ConvertException(file + ": zip entry " + e.getName() + " expands " + compressed + " bytes to "
                    + declared + " (ratio " + declared / compressed + "); refusing a likely zip bomb");
        }
    }

    List<SourceTensor> tensors() {
        return tensors;
    }

    String details(SourceTensor t) {
        View v = views.get(t.name());
        return v.storage.key + "\t" + v.offset + "\t" + java.util.Arrays.toString(v.stride);
    }

    /** The view's elements gathered row-major. */
    ByteBuffer read(SourceTensor t) throws IOException {
        View v = views.get(t.name());
        int es = v.storage.dtype.size;
        long bytes = Math.multiplyExact(v.storage.numel, (long) es);
        byte[] storage = entryBytes(zip.getEntry(root + "data/" + v.storage.key), bytes, bytes);
        long n = t.numElements();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(n * es)).order(ByteOrder.LITTLE_ENDIAN);
        int rank = v.size.length;
        long[] idx = new long[rank];
        for (long i = 0; i < n; i++) {
            long at = v.offset;
            for (int d = 0; d < rank; d++) {
                at += idx[d] * v.stride[d];
            }
            out.put(storage, (int) (at * es), es);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < v.size[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out.flip();
    }

    /**
     * An entry's bytes, refusing more than {@code max} (declared or actual), compression ratios no torch file has,
     * and data whose CRC-32 differs from the zip's record. {@code exact} ≥ 0 demands exactly that many bytes.
     */
    private byte[] entryBytes(ZipEntry e, long exact, long max) throws IOException {
        String where = file + ": zip entry " + e.getName();
        long declared = e.getSize();
        if (declared > max) {
            throw new ConvertException(where + " declares " + declared + " bytes, more than the " + max + " expected");
        }
        checkRatio(e);
        byte[] out;
        try (InputStream in = zip.getInputStream(e)) {
            out = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 16));
        } catch (ZipException z) {
            throw new ConvertException(where + ": " + z.getMessage() + " (truncated or corrupt archive)");
        }
        if (out.length > max) {
            throw new ConvertException(where + " holds more than the " + max + " bytes expected; refusing a likely zip bomb");
        }
        if (exact >= 0 && out.length != exact) {
            throw new ConvertException(where + " holds " + out.length + " bytes, expected " + exact + " (truncated?)");
        }
        CRC32 crc = new CRC32();
        crc.update(out);
        if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) {
            throw new ConvertException(String.format("%s: CRC-32 %08x differs from the zip's record %08x (corrupt file)",
                    where, crc.getValue(), e.getCrc()));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }

    /** The allowlist and what each allowed callable builds. */
    private static final class StateDictCalls implements RestrictedUnpickler.Calls {
        private final Map<String, Storage> storages;

        StateDictCalls(Map<String, Storage> storages) {
            this.storages = storages;
        }

        @Override
        public boolean allowed(Global g) {
            return (g.module().equals("collections") && g.name().equals("OrderedDict"))
                    || (g.module().equals("torch._utils") && REBUILD.contains(g.name()))
                    || (g.module().equals("torch") && STORAGES.containsKey(g.name()));
        }

        @Override
        public Object call(Global g, Tuple a) {
            switch (g.name()) {
                case "OrderedDict" -> {
                    if (a.size() != 0) {
                        throw new PickleException("OrderedDict called with arguments");
                    }
                    return new LinkedHashMap<>();
                }
                case "_rebuild_tensor_v2", "_rebuild_tensor" -> {
                    if (a.size() < 4 || !(a.get(0) instanceof Storage s)) {
                        throw new PickleException(g + " expects (storage, offset, size, stride, ...), got " + a);
                    }
                    return new View(s, integer(a.get(1)), longs(a.get(2)), longs(a.get(3)));
                }
                case "_rebuild_parameter" -> {
                    if (a.size() < 1 || !(a.get(0) instanceof View v)) {
                        throw new PickleException(g + " expects a tensor first, got " + a);
                    }
                    return v;
                }
                default -> throw new PickleException("refused call of " + g + " (a " + g.name()
                        + " is not constructed when reading a state dict)");
            }
        }

        @Override
        public Object persistentLoad(Object pid) {
            if (!(pid instanceof Tuple t) || t.size() < 5 || !"storage".equals(t.get(0))
                    || !(t.get(1) instanceof Global type) || !(t.get(2) instanceof String key)) {
                throw new PickleException("unsupported persistent id " + pid + "; expected ('storage', type, key, location, numel)");
            }
            if (!key.matches("[0-9A-Za-z_]+")) {
                throw new PickleException("storage key '" + key + "' is not a plain name");
            }
            long numel = integer(t.get(4));
            Storage s = new Storage(key, type.name(), STORAGES.get(type.name()), numel);
            Storage prior = storages.putIfAbsent(key, s);
            if (prior != null && !prior.equals(s)) {
                throw new PickleException("storage " + key + " is declared twice with different types or sizes");
            }
            return prior != null ? prior : s;
        }

        @Override
        public Object build(Object obj, Object state) {
            if (obj instanceof Map<?, ?>) {
                return obj; // instance attributes of the OrderedDict (torch's _metadata): no tensors there
            }
            throw new PickleException("BUILD on a " + RestrictedUnpickler.describe(obj));
        }

        private static long integer(Object o) {
            if (o instanceof Long l) {
                return l;
            }
            throw new PickleException("expected an integer, found " + RestrictedUnpickler.describe(o));
        }

        private static long[] longs(Object o) {
            if (!(o instanceof Tuple t)) {
                throw new PickleException("expected a tuple of integers, found " + RestrictedUnpickler.describe(o));
            }
            long[] out = new long[t.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = integer(t.get(i));
            }
            return out;
        }
    }
}
