package dev.t5pt.convert;

import dev.t5pt.config.T5Config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a conversion did: where from and to, the config and where it came from, every tensor written, every
 * alias folded into its canonical tensor, every tensor skipped with the reason.
 */
public record ConvertReport(String format, Path source, Path out, T5Config config, String configSource,
                            int written, long bytes, List<String> shards, List<String> folded,
                            List<Skipped> skipped) {

    public record Skipped(String name, String reason) {
    }

    /** Human-readable lines: a summary, then the folded and skipped tensors (grouped by reason when many). */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format("converted %s checkpoint %s -> %s", format, source, this.out));
        out.add(String.format("  config: %s (d_model %d, %d+%d layers, %d heads x %d, d_ff %d, vocab %d, %s, %s)",
                configSource, config.dModel(), config.numLayers(), config.numDecoderLayers(), config.numHeads(),
                config.dKv(), config.dFf(), config.vocabSize(), config.feedForwardProj().hfName(),
                config.tieWordEmbeddings() ? "tied embeddings" : "separate lm_head"));
        out.add(String.format("  tensors written: %d (%.1f MB) in %s", written, bytes / 1e6, String.join(", ", shards)));
        out.add("  aliases folded: " + folded.size());
        folded.forEach(f -> out.add("    " + f));
        out.add("  tensors skipped: " + skipped.size());
        java.util.Map<String, List<String>> byReason = new java.util.LinkedHashMap<>();
        skipped.forEach(s -> byReason.computeIfAbsent(s.reason, r -> new ArrayList<>()).add(s.name));
        byReason.forEach((reason, names) -> out.add("    " + names.size() + " x " + reason + ": "
                + (names.size() <= 3 ? String.join(", ", names) : names.get(0) + ", " + names.get(1) + ", ...")));
        return out;
    }
}
