package dev.t5pt.tune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A text-to-text dataset: JSON Lines ({@code {"input": ..., "target": ...}}, field names selectable) or
 * TSV (input TAB target, one example per line). A malformed line is an error naming file and line, or,
 * with {@code skipBad}, skipped and counted.
 */
public record Dataset(Path source, List<Example> examples, int skipped) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Example(String input, String target, int line) {
    }

    public static Dataset read(Path file, String inputField, String targetField, boolean skipBad) throws IOException {
        boolean tsv = file.toString().endsWith(".tsv");
        List<Example> out = new ArrayList<>();
        int skipped = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(tsv ? tsvLine(line, n) : jsonLine(line, n, inputField, targetField));
                } catch (IllegalArgumentException e) {
                    if (!skipBad) {
                        throw new IOException(file + ":" + n + ": " + e.getMessage() + " (use --skip-bad to skip such lines)");
                    }
                    skipped++;
                }
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(file + ": not valid UTF-8 text");
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no examples" + (skipped > 0 ? " (" + skipped + " bad lines skipped)" : ""));
        }
        return new Dataset(file, List.copyOf(out), skipped);
    }

    private static Example tsvLine(String line, int n) {
        int tab = line.indexOf('\t');
        if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
            throw new IllegalArgumentException("expected two tab-separated columns (input, target)");
        }
        return new Example(line.substring(0, tab), line.substring(tab + 1), n);
    }

    private static Example jsonLine(String line, int n, String inputField, String targetField) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        JsonNode in = node.get(inputField);
        JsonNode tg = node.get(targetField);
        if (in == null || !in.isTextual() || tg == null || !tg.isTextual()) {
            throw new IllegalArgumentException("expected string fields \"" + inputField + "\" and \"" + targetField + "\"");
        }
        return new Example(in.textValue(), tg.textValue(), n);
    }

    /** The distinct targets, in first-seen order: the label set of a classification task. */
    public List<String> labels() {
        LinkedHashSet<String> s = new LinkedHashSet<>();
        examples.forEach(e -> s.add(e.target()));
        return List.copyOf(s);
    }
}
