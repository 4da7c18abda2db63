package dev.t5pt.convert;

import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.io.TensorInfo;
import dev.t5pt.io.WeightStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Safetensors weights: one file, or a directory with {@code model.safetensors} or a sharded index. Headers are
 * validated by t5-core's reader (offsets inside the file, no overlaps, shapes matching byte counts, header size).
 */
public final class SafetensorsCheckpoint implements Checkpoint {
    private final Path source;
    private final AutoCloseable owner;
    private final List<SourceTensor> tensors = new ArrayList<>();
    private final Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();

    private SafetensorsCheckpoint(Path source, AutoCloseable owner) {
        this.source = source;
        this.owner = owner;
    }

    static boolean looksLike(Path path) {
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve(WeightStore.SINGLE)) || Files.isRegularFile(path.resolve(WeightStore.INDEX));
        }
        String n = path.getFileName().toString();
        return n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json");
    }

    public static SafetensorsCheckpoint open(Path path) throws IOException {
        if (!Files.isDirectory(path) && path.getFileName().toString().endsWith(".index.json")) {
            path = path.toAbsolutePath().getParent();
        }
        if (Files.isDirectory(path)) {
            WeightStore store = WeightStore.open(path);
            SafetensorsCheckpoint c = new SafetensorsCheckpoint(path, store);
            for (String key : store.keys()) {
                c.add(key, store.fileOf(key));
            }
            return c;
        }
        SafetensorsFile f = SafetensorsFile.open(path);
        SafetensorsCheckpoint c = new SafetensorsCheckpoint(path, f);
        for (String key : f.tensors().keySet()) {
            c.add(key, f);
        }
        return c;
    }

    private void add(String key, SafetensorsFile f) throws IOException {
        TensorInfo t = f.info(key);
        tensors.add(new SourceTensor(key, t.dtype().name(), t.dtype(), t.shape(), null, f.path().getFileName() + "@" + t.begin()));
        fileOf.put(key, f);
    }

    @Override
    public String format() {
        return "safetensors";
    }

    @Override
    public Path source() {
        return source;
    }

    @Override
    public List<SourceTensor> tensors() {
        return tensors;
    }

    @Override
    public String details(SourceTensor t) {
        SafetensorsFile f = fileOf.get(t.name());
        TensorInfo i = f.tensors().get(t.name());
        return f.path().getFileName() + "\t" + i.begin() + "\t" + i.end();
    }

    @Override
    public ByteBuffer read(SourceTensor t) throws IOException {
        SafetensorsFile f = fileOf.get(t.name());
        return f.readRaw(f.info(t.name()));
    }

    @Override
    public void close() throws IOException {
        try {
            owner.close();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
