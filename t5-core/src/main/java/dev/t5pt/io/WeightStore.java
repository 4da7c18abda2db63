package dev.t5pt.io;

import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tensors of one model directory in HF layout: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Lookups go by canonical HF name with known aliases; every miss or
 * shape mismatch names the key, the expected shape and the file.
 */
public final class WeightStore implements WeightSource, Closeable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    /** Keys some checkpoints carry that T5 never reads. */
    private static final Set<String> IGNORABLE = Set.of(
            "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight");

    /** Alternative names under which a canonical tensor may be stored. */
    private static final Map<String, List<String>> ALIASES = Map.of(
            "shared.weight", List.of("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"));


    private final Path dir;
    private final Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
    private final List<SafetensorsFile> files;
    private final Set<String> used = new TreeSet<>();

    private WeightStore(Path dir, Map<String, SafetensorsFile> fileOf, List<SafetensorsFile> files) {
        this.dir = dir;
        this.fileOf.putAll(fileOf);
        this.files = files;
    }

    public static WeightStore open(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        if (Files.exists(index)) {
            return openSharded(dir, index);
        }
        if (!Files.exists(single)) {
            throw new NoSuchFileException(single.toString(), null,
                    "no weights: expected " + SINGLE + " or " + INDEX + " in " + dir
                            + " (convert other formats with ./t5pt convert)");
        }
        SafetensorsFile f = SafetensorsFile.open(single);
        Map<String, SafetensorsFile> map = new LinkedHashMap<>();
        f.tensors().keySet().forEach(k -> map.put(k, f));
        return new WeightStore(dir, map, List.of(f));
    }

    private static WeightStore openSharded(Path dir, Path index) throws IOException {
        Map<String, SafetensorsFile> map = ShardIndex.open(index, SafetensorsFile::open, SafetensorsFile::contains);
        return new WeightStore(dir, map, List.copyOf(new java.util.LinkedHashSet<>(map.values())));
    }

    public Path dir() {
        return dir;
    }

    /** Every stored key. */
    public Set<String> keys() {
        return fileOf.keySet();
    }

    /** Where the keys are listed: the single file, or the shards' index. */
    public Path location() {
        return Path.of(where());
    }

    /** The file that stores {@code key} (exactly that stored key, no alias lookup); null if none. */
    public SafetensorsFile fileOf(String key) {
        return fileOf.get(key);
    }

    public boolean has(String name) {
        return resolve(name) != null;
    }

    /** The tensor stored under {@code name} (or an alias), checked against {@code expectedShape}, as FLOAT. */
    @Override
    public INDArray get(String name, long... expectedShape) throws IOException {
        String key = lookup(name, expectedShape);
        INDArray a = fileOf.get(key).read(key);
        return a.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT ? a : a.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }

    /**
     * The matrix under {@code name} held in {@code format}: a bfloat16 tensor held as bfloat16 is a read-only
     * mapping of the file (no copy: loading is paging in, and the pages are the page cache's); any other
     * combination is read as float32 and converted.
     */
    @Override
    public Frozen matrix(String name, WeightFormat format, int exactPerRow, long rows, long cols) throws IOException {
        String key = lookup(name, rows, cols);
        SafetensorsFile f = fileOf.get(key);
        TensorInfo t = f.info(key);
        WeightFormat held = format.heldAs(t.dtype());
        if (held == WeightFormat.BF16 && t.dtype() == DType.BF16 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return new Frozen.Bf16(f.map(t), (int) rows, (int) cols, f);
        }
        return WeightSource.super.matrix(name, held, exactPerRow, rows, cols);
    }

    /** The stored key for name (or an alias), its shape and type checked; marks it used. */
    private String lookup(String name, long... expectedShape) throws IOException {
        String key = resolve(name);
        if (key == null) {
            throw new IOException(where() + ": missing tensor '" + name + "' (expected shape "
                    + Arrays.toString(expectedShape) + ")");
        }
        SafetensorsFile f = fileOf.get(key);
        TensorInfo t = f.info(key);
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new IOException(f.path() + ": tensor '" + key + "' has shape " + t.shapeString()
                    + ", expected " + Arrays.toString(expectedShape));
        }
        if (!t.dtype().isFloating()) {
            throw new IOException(f.path() + ": tensor '" + key + "' is " + t.dtype() + ", expected F32, F16 or BF16");
        }
        used.add(key);
        return key;
    }

    /** Stored keys that no {@link #get} read, apart from aliases of read ones and known ignorable keys. */
    public Set<String> unusedKeys() {
        Set<String> out = new TreeSet<>(fileOf.keySet());
        out.removeAll(used);
        out.removeAll(IGNORABLE);
        for (Map.Entry<String, List<String>> a : ALIASES.entrySet()) {
            if (used.contains(a.getKey()) || a.getValue().stream().anyMatch(used::contains)) {
                out.remove(a.getKey());
                a.getValue().forEach(out::remove);
            }
        }
        return out;
    }

    private String resolve(String name) {
        if (fileOf.containsKey(name)) {
            return name;
        }
        for (String alias : ALIASES.getOrDefault(name, List.of())) {
            if (fileOf.containsKey(alias)) {
                return alias;
            }
        }
        return null;
    }

    private String where() {
        return files.size() == 1 ? files.get(0).path().toString() : dir.resolve(INDEX).toString();
    }

    @Override
    public void close() throws IOException {
        for (SafetensorsFile f : files) {
            f.close();
        }
    }
}
