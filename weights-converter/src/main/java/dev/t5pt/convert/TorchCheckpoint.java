package dev.t5pt.convert;

import dev.t5pt.io.ShardIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PyTorch state dicts saved by {@code torch.save} (zip format, torch ≥ 1.6): {@code pytorch_model.bin}, or
 * the shards listed by {@code pytorch_model.bin.index.json}. The pickle is read by {@link RestrictedUnpickler}
 * with an allowlist of what a state dict needs; storages are zip entries read on demand, views over them
 * (offsets, strides, tensors sharing a storage) are honoured and bounds-checked.
 */
public final class TorchCheckpoint implements Checkpoint {
    public static final String SINGLE = "pytorch_model.bin";
    public static final String INDEX = "pytorch_model.bin.index.json";

    private final Path source;
    private final List<TorchZip> files;
    private final List<SourceTensor> tensors = new ArrayList<>();
    private final Map<SourceTensor, TorchZip> fileOf = new LinkedHashMap<>();

    private TorchCheckpoint(Path source, List<TorchZip> files, Map<String, TorchZip> only) {
        this.source = source;
        this.files = files;
        for (TorchZip z : files) {
            for (SourceTensor t : z.tensors()) {
                if (only == null || only.get(t.name()) == z) {
                    tensors.add(t);
                    fileOf.put(t, z);
                }
            }
        }
    }

    /** True for a .bin file, a directory holding one, or an index. */
    static boolean looksLike(Path path) {
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve(SINGLE)) || Files.isRegularFile(path.resolve(INDEX));
        }
        String n = path.getFileName().toString();
        return n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.equals(INDEX);
    }

    /** Opens a .bin file, an index file, or a directory holding either. */
    public static TorchCheckpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX);
            path = Files.isRegularFile(index) ? index : path.resolve(SINGLE);
        }
        if (path.getFileName().toString().endsWith(".index.json")) {
            return openSharded(path);
        }
        return new TorchCheckpoint(path, List.of(TorchZip.open(path)), null);
    }

    private static TorchCheckpoint openSharded(Path index) throws IOException {
        Map<String, TorchZip> owner;
        try {
            owner = ShardIndex.open(index, TorchZip::open,
                    (z, name) -> z.tensors().stream().anyMatch(t -> t.name().equals(name)));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConvertException(e.getFile() + ": " + e.getReason());
        }
        return new TorchCheckpoint(index, List.copyOf(new java.util.LinkedHashSet<>(owner.values())), owner);
    }

    @Override
    public String format() {
        return "pytorch";
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
        return fileOf.get(t).details(t);
    }

    @Override
    public ByteBuffer read(SourceTensor t) throws IOException {
        return fileOf.get(t).read(t);
    }

    @Override
    public void close() throws IOException {
        for (TorchZip z : files) {
            z.close();
        }
    }
}
