package dev.t5pt.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hugging Face's shard index ({@code model.safetensors.index.json}, {@code pytorch_model.bin.index.json}):
 * {@code {"weight_map": {tensor name: shard file}}}. Shards must lie in the index's directory and exist; each
 * is opened once, and each name must be in the shard the index names.
 */
public final class ShardIndex {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Opens one shard file. */
    @FunctionalInterface
    public interface Opener<F> {
        F open(Path shard) throws IOException;
    }

    /** Whether an opened shard holds a tensor name. */
    @FunctionalInterface
    public interface Holds<F> {
        boolean holds(F shard, String name);
    }

    private ShardIndex() {
    }

    /** Tensor name → its opened shard, in index order; on any failure every opened shard is closed. */
    public static <F extends Closeable> Map<String, F> open(Path index, Opener<F> opener, Holds<F> holds) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            throw new IOException(index + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new IOException(index + ": expected an object \"weight_map\": {tensor name: shard file}");
        }
        Path dir = index.toAbsolutePath().getParent().normalize();
        Map<String, F> shards = new LinkedHashMap<>();
        Map<String, F> map = new LinkedHashMap<>();
        try {
            Iterator<Map.Entry<String, JsonNode>> it = wm.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String shardName = e.getValue().asText();
                Path shard = dir.resolve(shardName).normalize();
                if (!shard.startsWith(dir)) {
                    throw new IOException(index + ": shard '" + shardName + "' lies outside " + dir);
                }
                if (!Files.isRegularFile(shard)) {
                    throw new NoSuchFileException(shard.toString(), null,
                            "missing; " + index.getFileName() + " names this shard for '" + e.getKey() + "'");
                }
                F f = shards.get(shardName);
                if (f == null) {
                    f = opener.open(shard);
                    shards.put(shardName, f);
                }
                if (!holds.holds(f, e.getKey())) {
                    throw new IOException(index + ": '" + e.getKey() + "' is mapped to " + shardName
                            + " but that shard does not hold it");
                }
                map.put(e.getKey(), f);
            }
        } catch (IOException | RuntimeException e) {
            for (F f : shards.values()) {
                f.close();
            }
            throw e;
        }
        return map;
    }
}
