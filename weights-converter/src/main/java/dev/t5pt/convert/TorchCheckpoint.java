package dev.t5pt.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.t5pt.io.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
        JsonNode wm;
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(index));
            wm = root == null ? null : root.get("weight_map");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConvertException(index + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (wm == null || !wm.isObject()) {
            throw new ConvertException(index + ": expected an object \"weight_map\": {tensor name: shard file}");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, TorchZip> shards = new LinkedHashMap<>();
        Map<String, TorchZip> owner = new LinkedHashMap<>();
        try {
            Iterator<Map.Entry<String, JsonNode>> it = wm.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String file = e.getValue().asText();
                Path shard = dir.resolve(file).normalize();
                if (!shard.startsWith(dir)) {
                    throw new ConvertException(index + ": shard '" + file + "' lies outside " + dir);
                }
                if (!Files.isRegularFile(shard)) {
                    throw new ConvertException(shard + ": missing; " + index.getFileName() + " names it for '"
                            + e.getKey() + "'");
                }
                TorchZip z = shards.get(file);
                if (z == null) {
                    z = TorchZip.open(shard);
                    shards.put(file, z);
                }
                TorchZip zz = z;
                if (z.tensors().stream().noneMatch(t -> t.name().equals(e.getKey()))) {
                    throw new ConvertException(index + ": '" + e.getKey() + "' is mapped to " + file
                            + " but that shard does not hold it");
                }
                owner.put(e.getKey(), zz);
            }
        } catch (IOException | RuntimeException e) {
            for (TorchZip z : shards.values()) {
                z.close();
            }
            throw e;
        }
        return new TorchCheckpoint(index, List.copyOf(shards.values()), owner);
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
