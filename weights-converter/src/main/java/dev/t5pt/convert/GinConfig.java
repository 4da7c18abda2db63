package dev.t5pt.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bindings of a gin file as Mesh-TF/T5 training writes it ({@code operative_config.gin}): macros
 * ({@code d_model = 768}) and bindings ({@code DenseReluDense.activation = ['gelu', 'linear']}), with
 * {@code %macro} references resolved. Values stay text; callers parse what they need.
 */
final class GinConfig {
    public static final String FILE = "operative_config.gin";

    private final Path file;
    private final Map<String, String> bindings = new LinkedHashMap<>();

    private GinConfig(Path file) {
        this.file = file;
    }

    static GinConfig read(Path file) throws IOException {
        GinConfig g = new GinConfig(file);
        StringBuilder pending = new StringBuilder();
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("import ") || line.startsWith("include ")) {
                continue;
            }
            pending.append(line).append(' ');
            if (balanced(pending)) {
                String stmt = pending.toString().strip();
                pending.setLength(0);
                int eq = stmt.indexOf('=');
                if (eq > 0) {
                    g.bindings.put(stmt.substring(0, eq).strip(), stmt.substring(eq + 1).strip());
                }
            }
        }
        return g;
    }

    private static boolean balanced(CharSequence s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
            }
        }
        return depth <= 0;
    }

    Path file() {
        return file;
    }

    /**
     * The value bound to {@code key} exactly, or else to any binding ending in {@code .key} or {@code /key}
     * (the first in file order), macros resolved; null when unbound.
     */
    String get(String key) {
        String v = bindings.get(key);
        if (v == null) {
            for (Map.Entry<String, String> e : bindings.entrySet()) {
                if (e.getKey().endsWith("." + key) || e.getKey().endsWith("/" + key)) {
                    v = e.getValue();
                    break;
                }
            }
        }
        for (int depth = 0; v != null && v.startsWith("%") && depth < 16; depth++) {
            v = bindings.get(v.substring(1));
        }
        return v;
    }

    /** An integer binding, or null; a non-integer value is an error naming the file. */
    Long integer(String key) throws ConvertException {
        return parsed(key, Long::parseLong, "an integer");
    }

    /** A numeric binding, or null. */
    Double number(String key) throws ConvertException {
        return parsed(key, Double::parseDouble, "a number");
    }

    private <T> T parsed(String key, java.util.function.Function<String, T> parse, String what) throws ConvertException {
        String v = get(key);
        if (v == null) {
            return null;
        }
        try {
            return parse.apply(v);
        } catch (NumberFormatException e) {
            throw new ConvertException(file + ": " + key + " = " + v + " is not " + what);
        }
    }
}
