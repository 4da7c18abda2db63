package dev.t5pt.tune;

import java.io.IOException;

/**
 * Data that cannot be read as asked, with where (file and line) and what a reader can change: skip such lines, or
 * name other fields. The library says it in its own terms; a front end adds its own words for the remedy (the
 * command line: --skip-bad, --input-field / --target-field).
 */
public final class DataException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * What the reader can change: skip such lines; name other fields (or skip the line that lacks them); name
     * other columns (a CSV header).
     */
    public enum Remedy { SKIP_BAD_LINES, FIELD_NAMES, COLUMN_NAMES }

    private final Remedy remedy;

    public DataException(String message, Remedy remedy) {
        super(message);
        this.remedy = remedy;
    }

    public Remedy remedy() {
        return remedy;
    }
}
