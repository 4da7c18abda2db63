package dev.t5pt.tune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.t5pt.io.FileChecksum;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A text-to-text dataset, by the file's extension: JSON Lines (default; {@code {"input": ..., "target": ...}},
 * field names selectable, numbers and booleans taken as their text), TSV ({@code .tsv}: input TAB target, one
 * example per line; a first line naming the two fields is a header and skipped) or CSV ({@code .csv}, RFC 4180:
 * quoted fields may hold commas, quotes and line breaks; the header line names the fields). Text is UTF-8, a
 * byte-order mark is accepted. A malformed line (invalid UTF-8 included) is an error naming file and line, or,
 * with {@code skipBad}, skipped and counted.
 */
public record Dataset(String source, List<Example> examples, int skipped, String checksum) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Examples from elsewhere (no file behind them: no checksum). */
    public Dataset(String source, List<Example> examples, int skipped) {
        this(source, examples, skipped, null);
    }

    public record Example(String input, String target, int line) {
    }

    /** The file formats, chosen by extension. */
    enum Format { JSONL, TSV, CSV }

    public static Dataset read(Path file, String inputField, String targetField, boolean skipBad) throws IOException {
        return parse(file.toString(), bytes(file), inputField, targetField, skipBad, true);
    }

    /**
     * The dataset in bytes read from source (a file, or a URL another reader fetched, e.g. Spark from a Hadoop
     * FileSystem); the format follows source's extension; {@link #checksum} fingerprints the bytes.
     */
    public static Dataset parse(String source, byte[] bytes, String inputField, String targetField, boolean skipBad)
            throws IOException {
        return parse(source, bytes, inputField, targetField, skipBad, true);
    }

    /** {@link #readInputs} of bytes read from source. */
    public static List<String> parseInputs(String source, byte[] bytes, String inputField, boolean skipBad) throws IOException {
        return parse(source, bytes, inputField, "target", skipBad, false).examples().stream().map(Example::input).toList();
    }

    private static byte[] bytes(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a directory, expected a data file (JSONL, .tsv or .csv)");
        }
        return Files.readAllBytes(file);
    }

    /**
     * Only the inputs of a file in any of the formats (for generation): the target field or column may be absent,
     * and where present it is not part of the input.
     */
    public static List<String> readInputs(Path file, String inputField, boolean skipBad) throws IOException {
        return parseInputs(file.toString(), bytes(file), inputField, skipBad);
    }

    private static Dataset parse(String file, byte[] bytes, String inputField, String targetField, boolean skipBad,
                                 boolean withTargets) throws IOException {
        String name = file.toLowerCase(java.util.Locale.ROOT);
        Format format = name.endsWith(".tsv") ? Format.TSV : name.endsWith(".csv") ? Format.CSV : Format.JSONL;
        List<Line> lines = lines(bytes);
        List<Example> out = new ArrayList<>();
        int[] skipped = {0};
        Bad bad = (n, why, remedy) -> {
            if (!skipBad) {
                throw new DataException(file + ":" + n + ": " + why, remedy);
            }
            skipped[0]++;
        };
        if (format == Format.CSV) {
            Csv.read(lines, inputField, withTargets ? targetField : null, file, bad, out);
        } else {
            boolean first = true;
            for (Line l : lines) {
                if (l.text == null) {
                    bad.report(l.number, l.error, DataException.Remedy.SKIP_BAD_LINES);
                    continue;
                }
                if (l.text.isBlank()) {
                    continue;
                }
                boolean header = first && format == Format.TSV && l.text.equals(inputField + "\t" + targetField);
                first = false;
                if (header) {
                    continue;
                }
                try {
                    out.add(format == Format.TSV ? tsvLine(l.text, l.number, withTargets)
                            : jsonLine(l.text, l.number, inputField, withTargets ? targetField : null));
                } catch (IllegalArgumentException e) {
                    bad.report(l.number, e.getMessage(), e instanceof MissingField
                            ? DataException.Remedy.FIELD_NAMES : DataException.Remedy.SKIP_BAD_LINES);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no examples" + (skipped[0] > 0 ? " (" + skipped[0] + " bad lines skipped)" : ""));
        }
        return new Dataset(file, List.copyOf(out), skipped[0], FileChecksum.of(bytes));
    }

    /** Receives a bad line: throws, or counts it when bad lines are skipped. */
    interface Bad {
        void report(int line, String why, DataException.Remedy remedy) throws IOException;
    }

    /** One line of the file: its text, or (text null) why it could not be decoded. */
    record Line(int number, String text, String error) {
    }

    /** The file's lines ('\n' or "\r\n" ended), each decoded as strict UTF-8 on its own; a leading BOM dropped. */
    static List<Line> lines(byte[] b) {
        List<Line> out = new ArrayList<>();
        int start = b.length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF ? 3 : 0;
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        int n = 0;
        while (start < b.length) {
            int end = start;
            while (end < b.length && b[end] != '\n') {
                end++;
            }
            int stop = end > start && b[end - 1] == '\r' ? end - 1 : end;
            n++;
            try {
                out.add(new Line(n, utf8.decode(ByteBuffer.wrap(b, start, stop - start)).toString(), null));
            } catch (CharacterCodingException e) {
                out.add(new Line(n, null, "not valid UTF-8 text (byte " + (firstBadByte(b, start, stop) + 1) + " of the line)"));
            }
            start = end + 1;
        }
        return out;
    }

    private static int firstBadByte(byte[] b, int from, int to) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, from, to - from);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(to - from + 1);
        d.decode(in, out, true);
        return in.position() - from;
    }

    private static Example tsvLine(String line, int n, boolean withTarget) {
        int tab = line.indexOf('\t');
        if (!withTarget && tab < 0) {
            return new Example(line, "", n);
        }
        if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
            throw new IllegalArgumentException("expected two tab-separated columns (input, target)");
        }
        return new Example(line.substring(0, tab), line.substring(tab + 1), n);
    }

    /** One JSON object; targetField null: inputs only. */
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
        return new Example(text(node, inputField), targetField == null ? "" : text(node, targetField), n);
    }

    /** A field as text: a string, or a number or boolean as written; anything else names the field. */
    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            throw new MissingField("no field \"" + field + "\" (the line has " + (names.isEmpty() ? "none"
                    : "\"" + String.join("\", \"", names) + "\"") + ")");
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isNumber() || v.isBoolean()) {
            return v.asText();
        }
        throw new IllegalArgumentException("field \"" + field + "\" is " + (v.isNull() ? "null" : "a JSON " + v.getNodeType()
                .toString().toLowerCase(java.util.Locale.ROOT)) + ", expected text (or a number or boolean)");
    }

    /** A line without the field asked for: skippable, but most likely the field names are other ones. */
    private static final class MissingField extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        MissingField(String message) {
            super(message);
        }
    }

    /** The distinct targets, in first-seen order: the label set of a classification task. */
    public List<String> labels() {
        LinkedHashSet<String> s = new LinkedHashSet<>();
        examples.forEach(e -> s.add(e.target()));
        return List.copyOf(s);
    }

    /** How many examples have an empty target (the model is then trained to emit only EOS). */
    public long emptyTargets() {
        return examples.stream().filter(e -> e.target().isEmpty()).count();
    }
}
