package dev.t5pt.cli;

import dev.t5pt.tune.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where data is: a local path, or a Hadoop FileSystem URL (hdfs://, s3a://, file://, ...) that the Spark engine
 * reads (with --spark; a file:// URL is read locally without it).
 */
record DataLocation(String location) {
    static boolean isUrl(String location) {
        return location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    }

    /** The local file, or null for a URL. */
    Path localPath() {
        return isUrl(location) ? null : Path.of(location);
    }

    /** The bytes, read locally or through the engine (spark: its master, or null when not given). */
    byte[] bytes(String spark) throws IOException {
        if (!isUrl(location)) {
            return Files.readAllBytes(dev.t5pt.io.IoErrors.requireFile(Path.of(location), "a data file"));
        }
        if (spark == null) {
            if (location.startsWith("file://")) {
                return Files.readAllBytes(Path.of(java.net.URI.create(location)));
            }
            throw new IllegalArgumentException(location + ": a Hadoop FileSystem URL is read through Spark: add --spark MASTER");
        }
        return Engine.find("spark").read(spark, location);
    }

    /** As the run's record holds it: a local path made absolute, a URL as given. */
    String canonical() {
        return isUrl(location) ? location : Path.of(location).toAbsolutePath().normalize().toString();
    }
}
