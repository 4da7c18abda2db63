package dev.t5pt.convert;


import dev.t5pt.config.T5Config;
import dev.t5pt.config.T5Keys;
import dev.t5pt.io.DType;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.io.SafetensorsWriter;
import dev.t5pt.io.WeightStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Turns a checkpoint in any supported format into t5pt's model directory: {@code config.json} +
 * {@code model.safetensors} (or shards + index), HF names and layout. The output is assembled in a hidden
 * temporary directory beside the target, re-opened and checked tensor by tensor (names, shapes, CRC-32C of
 * the bytes), and only then renamed into place; on any failure nothing is left behind.
 */
public final class Converter {
    /** Hugging Face's default shard limit. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    /**
     * @param dtype         output type for every floating tensor; null keeps each tensor's stored type
     * @param maxShardBytes shard size limit (a tensor larger than the limit gets a shard of its own)
     * @param config        a config.json to use instead of the one found beside the input or inferred
     */
    public record Options(Path from, Path out, DType dtype, long maxShardBytes, Path config) {
        public Options {
            if (dtype != null && dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
                throw new IllegalArgumentException("--dtype: expected f32, bf16 or f16, found " + dtype);
            }
            if (maxShardBytes <= 0) {
                throw new IllegalArgumentException("--max-shard-size: expected a positive size, found " + maxShardBytes);
            }
        }
    }

    /** One output tensor: its HF name, where it comes from and how it is transformed. */
    private record Planned(String name, SourceTensor src, boolean transpose, long[] shape, DType type) {
        long bytes() {
            return Shapes.numElements(shape, name) * type.size;
        }
    }

    private static final Map<String, String> ALIASES = Map.of(
            "encoder.embed_tokens.weight", "shared.weight",
            "decoder.embed_tokens.weight", "shared.weight");
    private static final String IGNORED_BIAS = "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight";

    private Converter() {
    }

    public static ConvertReport convert(Options o, Consumer<String> progress) throws IOException {
        Path out = o.out().toAbsolutePath().normalize();
        if (Files.exists(out) && !(Files.isDirectory(out) && isEmpty(out))) {
            throw new ConvertException(out + ": already exists; remove it or choose another --out (nothing was written)");
        }
        try (Checkpoint ck = Checkpoints.open(o.from())) {
            progress.accept("read " + ck.format() + " checkpoint " + ck.source() + ": " + ck.tensors().size() + " tensors");
            List<String> folded = new ArrayList<>();
            List<ConvertReport.Skipped> skipped = new ArrayList<>();
            Map<String, Planned> plan = plan(ck, folded, skipped);
            String[] configSource = new String[1];
            T5Config config = config(o, ck, plan, configSource);
            Map<String, Planned> outputs = select(ck, config, plan, o.dtype(), folded, skipped);
            ck.requireData(outputs.values().stream().map(Planned::src).toList()); // before any writing
            List<List<Planned>> shards = shard(outputs, o.maxShardBytes());
            Path tmp = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".tmp-");
            dev.t5pt.io.AtomicDirectory.setNormalPermissions(tmp);   // a model directory as mkdir makes it, not rwx------
            try {
                Map<String, Integer> crcs = new LinkedHashMap<>();
                List<String> names = write(ck, config, shards, tmp, crcs, progress);
                progress.accept("verifying " + tmp);
                verify(tmp, config, outputs, crcs);
                moveIntoPlace(tmp, out);
                long bytes = outputs.values().stream().mapToLong(Planned::bytes).sum();
                return new ConvertReport(ck.format(), ck.source(), out, config, configSource[0], outputs.size(), bytes,
                        names, folded, skipped);
            } finally {
                dev.t5pt.io.FileTrees.deleteTree(tmp);
            }
        }
    }

    /** Maps names, folds tensors that are one storage under several names, sets aside what T5 never reads. */
    private static Map<String, Planned> plan(Checkpoint ck, List<String> folded, List<ConvertReport.Skipped> skipped)
            throws IOException {
        Map<String, Planned> plan = new LinkedHashMap<>();
        boolean meshTf = ck.meshTensorFlowNames();
        for (SourceTensor t : ck.tensors()) {
            String name = t.name();
            boolean transpose = false;
            if (meshTf) {
                MeshTfNames.Mapping m = MeshTfNames.map(name);
                if (m.skipReason() != null) {
                    skipped.add(new ConvertReport.Skipped(name, m.skipReason()));
                    continue;
                }
                name = m.hfName();
                transpose = m.transpose();
            }
            if (t.dtype() == null || !t.dtype().isFloating()) {
                skipped.add(new ConvertReport.Skipped(t.name(), "not a floating-point tensor (" + t.typeName() + ")"));
                continue;
            }
            if (name.equals(IGNORED_BIAS)) {
                skipped.add(new ConvertReport.Skipped(t.name(), "never read by T5 (cross-attention has no position bias)"));
                continue;
            }
            String canonical = ALIASES.getOrDefault(name, name);
            long[] shape = t.shape();
            if (transpose) {
                if (shape.length != 2) {
                    throw new ConvertException(ck.source() + ": '" + t.name() + "' should be a matrix, found shape "
                            + t.shapeString());
                }
                shape = new long[]{shape[1], shape[0]};
            }
            Planned p = new Planned(canonical, t, transpose, shape, t.dtype());
            Planned prior = plan.get(canonical);
            if (prior == null) {
                plan.put(canonical, p);
                if (!canonical.equals(name)) {
                    folded.add(t.name() + " -> " + canonical + " (stored under its alias only)");
                }
            } else {
                folded.add(t.name() + " -> " + canonical + " (" + sameData(ck, prior, p) + ")");
            }
        }
        return plan;
    }

    /** Why two tensors for one name are the same; throws when they are not. */
    private static String sameData(Checkpoint ck, Planned a, Planned b) throws IOException {
        if (a.src.aliasKey() != null && a.src.aliasKey().equals(b.src.aliasKey())) {
            return "same storage";
        }
        if (Arrays.equals(a.shape, b.shape) && a.type == b.type && a.transpose == b.transpose
                && ck.read(a.src).equals(ck.read(b.src))) {
            return "identical bytes";
        }
        throw new ConvertException(ck.source() + ": '" + b.src.name() + "' and '" + a.src.name()
                + "' are both " + a.name + " in T5 but hold different values; refusing to pick one");
    }

    private static T5Config config(Options o, Checkpoint ck, Map<String, Planned> plan, String[] source)
            throws IOException {
        Path cfg = o.config();
        if (cfg == null) {
            Path dir = Files.isDirectory(ck.source()) ? ck.source() : ck.source().toAbsolutePath().getParent();
            if (Files.isRegularFile(dir.resolve("config.json"))) {
                cfg = dir.resolve("config.json");
            }
        }
        if (cfg != null) {
            source[0] = cfg.toString();
            try {
                return T5Config.load(cfg);
            } catch (IllegalArgumentException e) {
                throw new ConvertException(cfg + ": " + e.getMessage());
            }
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        plan.forEach((k, v) -> shapes.put(k, v.shape));
        return ck.configWithoutJson(shapes, source);
    }

    /** Checks the plan against what a T5 of {@code config} reads; returns the outputs in HF key order. */
    private static Map<String, Planned> select(Checkpoint ck, T5Config config, Map<String, Planned> plan, DType dtype,
                                               List<String> folded, List<ConvertReport.Skipped> skipped) throws IOException {
        Map<String, long[]> expected = T5Keys.expected(config);
        Planned lm = plan.get("lm_head.weight");
        if (lm != null && config.tieWordEmbeddings()) {
            Planned shared = plan.get("shared.weight");
            if (shared != null && lm.src.aliasKey() != null && lm.src.aliasKey().equals(shared.src.aliasKey())) {
                folded.add(lm.src.name() + " -> shared.weight (same storage; tied embeddings)");
            } else {
                skipped.add(new ConvertReport.Skipped(lm.src.name(),
                        "config ties embeddings (tie_word_embeddings), so the LM head is shared.weight, as in HF"));
            }
            plan.remove("lm_head.weight");
        }
        List<String> missing = new ArrayList<>();
        Map<String, Planned> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Planned p = plan.get(e.getKey());
            if (p == null) {
                missing.add(e.getKey());
                continue;
            }
            if (!Arrays.equals(p.shape, e.getValue())) {
                throw new ConvertException(ck.source() + ": '" + p.src.name() + "' (" + e.getKey() + ") has shape "
                        + Arrays.toString(p.shape) + " but the config needs " + Arrays.toString(e.getValue()));
            }
            DType type = dtype != null ? dtype : p.type == DType.F64 ? DType.F32 : p.type;
            outputs.put(e.getKey(), new Planned(p.name, p.src, p.transpose, p.shape, type));
        }
        if (!missing.isEmpty()) {
            throw new ConvertException(ck.source() + ": " + missing.size() + " tensor(s) the config needs are missing, e.g. "
                    + String.join(", ", missing.subList(0, Math.min(3, missing.size())))
                    + " (wrong --config, or not a T5 checkpoint?)");
        }
        for (Planned p : plan.values()) {
            if (!outputs.containsKey(p.name)) {
                skipped.add(new ConvertReport.Skipped(p.src.name(), "not read by a T5 with this config"));
            }
        }
        return outputs;
    }

    /** Greedy shards in key order (the order safetensors files store keys). */
    private static List<List<Planned>> shard(Map<String, Planned> outputs, long max) {
        List<List<Planned>> shards = new ArrayList<>();
        List<Planned> cur = new ArrayList<>();
        long size = 0;
        for (Planned p : new TreeMap<>(outputs).values()) {
            if (!cur.isEmpty() && size + p.bytes() > max) {
                shards.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(p);
            size += p.bytes();
        }
        shards.add(cur);
        return shards;
    }

    private static List<String> write(Checkpoint ck, T5Config config, List<List<Planned>> shards, Path tmp,
                                      Map<String, Integer> crcs, Consumer<String> progress) throws IOException {
        config.save(tmp.resolve("config.json"));
        int total = shards.stream().mapToInt(List::size).sum();
        int[] done = {0};
        List<String> names = new ArrayList<>();
        Map<String, String> weightMap = new TreeMap<>();
        long totalSize = 0;
        for (int s = 0; s < shards.size(); s++) {
            String name = shards.size() == 1 ? WeightStore.SINGLE
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (Planned p : shards.get(s)) {
                w.putRaw(p.name, p.type, p.shape, () -> {
                    done[0]++;
                    progress.accept(String.format("[%d/%d] %s%s %s %s", done[0], total, p.name,
                            p.src.name().equals(p.name) ? "" : " <- " + p.src.name(), p.type, Arrays.toString(p.shape)));
                    ByteBuffer b = transform(ck, p);
                    crcs.put(p.name, Crc32cMask.crc(b));
                    return b;
                });
                weightMap.put(p.name, name);
                totalSize += p.bytes();
            }
            w.write(tmp.resolve(name));
            names.add(name);
        }
        if (shards.size() > 1) {
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            var root = json.createObjectNode();
            root.putObject("metadata").put("total_size", totalSize);
            var wm = root.putObject("weight_map");
            weightMap.forEach(wm::put);
            dev.t5pt.io.AtomicFiles.writeString(tmp.resolve(WeightStore.INDEX),
                    json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            names.add(WeightStore.INDEX);
        }
        return names;
    }

    /** The source bytes in HF layout and the output type. */
    private static ByteBuffer transform(Checkpoint ck, Planned p) throws IOException {
        ByteBuffer b = ck.read(p.src);
        if (p.transpose) {
            b = Elements.transpose(b, p.src.shape()[0], p.src.shape()[1], p.src.dtype().size);
        }
        return Elements.cast(b, p.src.dtype(), p.type, p.src.numElements());
    }

    /** Re-opens the output as t5-core will and checks every tensor's type, shape and CRC-32C against what was written. */
    private static void verify(Path tmp, T5Config config, Map<String, Planned> outputs, Map<String, Integer> crcs)
            throws IOException {
        T5Config written = T5Config.load(tmp.resolve("config.json"));
        if (!written.equals(config)) {
            throw new ConvertException(tmp + ": config.json does not read back as written");
        }
        try (WeightStore store = WeightStore.open(tmp)) {
            if (!new java.util.HashSet<>(store.keys()).equals(outputs.keySet())) {
                throw new ConvertException(tmp + ": wrote keys " + store.keys() + ", expected " + outputs.keySet());
            }
            for (Planned p : outputs.values()) {
                SafetensorsFile f = store.fileOf(p.name);
                var info = f.info(p.name);
                if (!Arrays.equals(info.shape(), p.shape) || info.dtype() != p.type) {
                    throw new ConvertException(f.path() + ": '" + p.name + "' reads back as " + info + ", expected "
                            + p.type + " " + Arrays.toString(p.shape));
                }
                if (Crc32cMask.crc(f.readRaw(info)) != crcs.get(p.name)) {
                    throw new ConvertException(f.path() + ": '" + p.name + "' reads back different from what was"
                            + " written (disk or filesystem error?)");
                }
            }
        }
    }

    private static void moveIntoPlace(Path tmp, Path out) throws IOException {
        if (Files.isDirectory(out)) {
            Files.delete(out); // empty, checked at the start
        }
        try {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, out);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
