package dev.t5pt.tune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.io.AtomicDirectory;
import dev.t5pt.io.FileChecksum;
import dev.t5pt.io.FileTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A run directory and its guarantees. It is recognisable: {@code run.json} (format "t5pt-run") records every
 * setting the run was made with, and only a directory holding it is ever replaced or deleted. It appears whole:
 * created in a hidden sibling and renamed into place with its record, so a crash while it is created leaves
 * either no run or a run that starts at step 0. {@link #recover} undoes what a crash at any instant left behind.
 *
 * <pre>
 *   run.json          the record (settings, inputs with checksums, t5pt version)
 *   metrics.csv       one row per step
 *   checkpoint/       the state a resumed run continues from
 *   best/, last/      the best prompt on dev and the last one (PEFT adapter + prompt.npy)
 *   loss.png, dev.png
 * </pre>
 */
public final class RunDirectory {
    public static final String RECORD = "run.json";
    static final String FORMAT = "t5pt-run";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SWAPPED = List.of("checkpoint", "best", "last");

    private RunDirectory() {
    }

    /** Whether dir is a t5pt run: a directory (not a link to one) with a complete run.json of the right format. */
    public static boolean isRun(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            return FORMAT.equals(readRecord(dir).path("format").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /** The run's record; an error names the file and what is wrong. */
    public static JsonNode readRecord(Path dir) throws IOException {
        Path f = dir.resolve(RECORD);
        if (!Files.isRegularFile(f)) {
            throw new IOException(dir + ": not a t5pt run directory (no " + RECORD + ")");
        }
        try {
            JsonNode j = JSON.readTree(Files.readAllBytes(f));
            if (j == null || !j.isObject() || !FORMAT.equals(j.path("format").asText())) {
                throw new IOException(f + ": expected a t5pt run record (\"format\": \"" + FORMAT + "\")");
            }
            return j;
        } catch (JsonProcessingException e) {
            throw new IOException(f + ": not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
    }

    /**
     * Creates the run directory with its record and the metrics header, whole; an existing run there (and only
     * a run: see {@link #checkReplaceable}) is replaced in the same atomic swap.
     */
    static void create(Path dir, ObjectNode record) throws IOException {
        record.put("format", FORMAT);
        String text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record) + "\n";
        // plain writes, the record last: the staged directory as a whole is what appears atomically, and a
        // complete record in it means it is complete (what recover relies on)
        AtomicDirectory.replace(dir, tmp -> {
            Files.writeString(tmp.resolve("metrics.csv"), Trainer.HEADER + "\n");
            Files.writeString(tmp.resolve(RECORD), text);
        });
    }

    /**
     * Undoes what a crash left: the run directory itself (a creation or replacement cut between its renames),
     * checkpoint/, best/ and last/ (the same), and the temporary files of interrupted atomic writes.
     * Returns whether dir is a run afterwards.
     */
    public static boolean recover(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            promoteStagedCreation(dir);
        }
        if (!AtomicDirectory.recover(dir) || !isRun(dir)) {
            return false;
        }
        for (String sub : SWAPPED) {
            AtomicDirectory.recover(dir.resolve(sub));
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(".") && n.endsWith(".tmp") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(p);
                }
            }
        }
        return true;
    }

    /**
     * A new run killed before its directory was renamed into place: its staged copy holds the complete record
     * (written last), so it is the run as its command made it; it becomes the run (via AtomicDirectory's
     * complete-copy name, which {@link AtomicDirectory#recover} then renames into place).
     */
    private static void promoteStagedCreation(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return;
        }
        String prefix = "." + dir.getFileName() + ".tmp-";
        try (Stream<Path> s = Files.list(parent)) {
            for (Path staged : s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                if (isRun(staged) && Files.isRegularFile(staged.resolve("metrics.csv"))) {
                    String id = staged.getFileName().toString().substring(prefix.length());
                    dev.t5pt.io.Renames.move(staged, parent.resolve("." + dir.getFileName() + ".new-" + id));
                    return;
                }
            }
        }
    }

    /**
     * Throws unless dir may be replaced by a new run: absent, or a t5pt run that holds none of the inputs
     * (a model, a data file, a prompt the new run reads). Never a file, never any other directory.
     */
    public static void checkReplaceable(Path dir, List<Path> inputs) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(dir + " is a file, not a run directory: only a t5pt run directory (one with "
                    + RECORD + ") is ever replaced; nothing was changed");
        }
        if (!isRun(dir)) {
            throw new IllegalArgumentException(dir + " is not a t5pt run directory (no " + RECORD + "): only a run is ever "
                    + "replaced; choose a new output directory; nothing was changed");
        }
        for (Path in : inputs) {
            if (in != null && FileTrees.contains(dir, in)) {
                throw new IllegalArgumentException(dir + " holds " + in + ", an input of this run: it cannot be replaced; "
                        + "nothing was changed");
            }
        }
    }

    /** A recorded input: its absolute path and checksum. */
    public static ObjectNode input(Path p) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("path", p.toAbsolutePath().normalize().toString());
        n.put("checksum", FileChecksum.of(p));
        return n;
    }

    /** Throws when a recorded input changed since the run started. */
    public static void checkInput(JsonNode recorded, String what, Path dir) throws IOException {
        if (recorded == null || recorded.isNull() || recorded.isMissingNode()) {
            return;
        }
        Path p = Path.of(recorded.path("path").asText());
        if (!Files.exists(p)) {
            throw new IOException(dir.resolve(RECORD) + ": the run's " + what + " " + p + " is gone");
        }
        String now = FileChecksum.of(p);
        String then = recorded.path("checksum").asText();
        if (!now.equals(then)) {
            throw new IOException("the run's " + what + " " + p + " changed since the run started (checksum " + then
                    + " then, " + now + " now): resuming would not continue the same run");
        }
    }
}
