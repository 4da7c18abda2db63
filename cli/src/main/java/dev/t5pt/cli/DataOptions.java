package dev.t5pt.cli;

import dev.t5pt.tune.Dataset;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** How labelled data files are read: field names and bad lines, shared by tune and eval (a picocli mixin). */
final class DataOptions {
    @Option(names = "--input-field", defaultValue = "input", description = "JSONL field or CSV column holding the input (default: ${DEFAULT-VALUE})")
    String inputField;
    @Option(names = "--target-field", defaultValue = "target", description = "JSONL field or CSV column holding the target (default: ${DEFAULT-VALUE})")
    String targetField;
    @Option(names = "--skip-bad", description = "skip malformed data lines (counted) instead of stopping")
    boolean skipBad;

    /** The dataset at location: a local file, or a Hadoop FileSystem URL read through Spark (spark: its master). */
    Dataset read(String location, String spark) throws IOException {
        DataLocation where = new DataLocation(location);
        Path local = where.localPath();
        return local != null ? Dataset.read(local, inputField, targetField, skipBad)
                : Dataset.parse(location, where.bytes(spark), inputField, targetField, skipBad);
    }
}
