package dev.t5pt.tune;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * CSV as RFC 4180 writes it: comma-separated fields, a field in double quotes may hold commas, line breaks and
 * doubled quotes; the first record is the header naming the fields. A record spans lines while a quote is open.
 */
final class Csv {
    private Csv() {
    }

    /** The examples of the records; targetField null: inputs only (no target column needed). */
    static void read(List<Dataset.Line> lines, String inputField, String targetField, String file, Dataset.Bad bad,
                     List<Dataset.Example> out) throws IOException {
        int in = -1;
        int tg = -1;
        int columns = -1;
        int i = 0;
        while (i < lines.size()) {
            Dataset.Line first = lines.get(i);
            if (first.text() == null) {
                bad.report(first.number(), first.error(), DataException.Remedy.SKIP_BAD_LINES);
                i++;
                continue;
            }
            if (first.text().isBlank()) {
                i++;
                continue;
            }
            // gather the physical lines of one record (a quoted field may span several)
            StringBuilder record = new StringBuilder(first.text());
            int last = i;
            while (openQuote(record) && last + 1 < lines.size() && lines.get(last + 1).text() != null) {
                last++;
                record.append('\n').append(lines.get(last).text());
            }
            i = last + 1;
            List<String> fields;
            try {
                fields = fields(record.toString());
            } catch (IllegalArgumentException e) {
                if (columns < 0) {
                    throw new IOException(file + ":" + first.number() + ": header: " + e.getMessage());
                }
                bad.report(first.number(), e.getMessage(), DataException.Remedy.SKIP_BAD_LINES);
                continue;
            }
            if (columns < 0) {
                columns = fields.size();
                in = fields.indexOf(inputField);
                tg = targetField == null ? -1 : fields.indexOf(targetField);
                if (in < 0 || (targetField != null && tg < 0)) {
                    throw new DataException(file + ":" + first.number() + ": the CSV header " + fields + " has no column \""
                            + (in < 0 ? inputField : targetField) + "\"", DataException.Remedy.COLUMN_NAMES);
                }
                continue;
            }
            if (fields.size() != columns) {
                bad.report(first.number(), "expected " + columns + " fields as the header has, found " + fields.size(),
                        DataException.Remedy.SKIP_BAD_LINES);
                continue;
            }
            out.add(new Dataset.Example(fields.get(in), tg < 0 ? "" : fields.get(tg), first.number()));
        }
        if (columns < 0) {
            throw new IOException(file + ": empty CSV (expected a header line naming the fields)");
        }
    }

    private static boolean openQuote(CharSequence s) {
        boolean open = false;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '"') {
                open = !open;
            }
        }
        return open;
    }

    /** The fields of one record. */
    static List<String> fields(String record) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int i = 0;
        while (true) {
            f.setLength(0);
            if (i < record.length() && record.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= record.length()) {
                        throw new IllegalArgumentException("a quoted field is not closed");
                    }
                    char c = record.charAt(i++);
                    if (c == '"') {
                        if (i < record.length() && record.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(c);
                    }
                }
                if (i < record.length() && record.charAt(i) != ',') {
                    throw new IllegalArgumentException("text after a closing quote at column " + (i + 1));
                }
            } else {
                while (i < record.length() && record.charAt(i) != ',') {
                    char c = record.charAt(i++);
                    if (c == '"') {
                        throw new IllegalArgumentException("a quote inside an unquoted field at column " + i);
                    }
                    f.append(c);
                }
            }
            out.add(f.toString());
            if (i >= record.length()) {
                return out;
            }
            i++; // the comma
        }
    }
}
