package dev.t5pt.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Replaces a directory only once its new contents are complete, so that a crash at any instant leaves either
 * the old or the new directory, found by {@link #recover}:
 * <ol>
 *   <li>fill {@code .NAME.tmp-X} (a crash here leaves the target untouched and the temp directory to delete);</li>
 *   <li>rename it to {@code .NAME.new-X}: from now on the new contents are known complete;</li>
 *   <li>rename the target (if any) to {@code .NAME.old-X};</li>
 *   <li>rename {@code .NAME.new-X} to the target, then delete {@code .NAME.old-X}.</li>
 * </ol>
 * {@link #recover} finishes an interrupted swap: once step 2 is done the complete new copy is put in place (the
 * newest state, so a crash costs nothing that was written whole), else the target stays or the old copy comes
 * back; then every leftover is deleted.
 */
public final class AtomicDirectory {
    /** Writes the new directory's contents. */
    @FunctionalInterface
    public interface Filler {
        void fill(Path dir) throws IOException;
    }

    private AtomicDirectory() {
    }

    public static void replace(Path target, Filler filler) throws IOException {
        try {
            swap(target, filler);
        } catch (IOException e) {
            throw IoErrors.at(target, e);   // the directory the user knows, not a temporary copy's name
        }
    }

    private static void swap(Path target, Filler filler) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        String name = target.getFileName().toString();
        Path tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
        String id = tmp.getFileName().toString().substring(name.length() + 6);
        Path fresh = parent.resolve("." + name + ".new-" + id);
        Path old = parent.resolve("." + name + ".old-" + id);
        try {
            setNormalPermissions(tmp);
            filler.fill(tmp);
            Renames.move(tmp, fresh);
        } catch (IOException | RuntimeException e) {
            // (not for an Error: a crash test's simulated kill leaves the temp directory, as a real one would)
            FileTrees.deleteTree(tmp);
            throw e;
        }
        boolean hadTarget = Files.exists(target);
        if (hadTarget) {
            Renames.move(target, old);
        }
        Renames.move(fresh, target);
        if (hadTarget) {
            FileTrees.deleteTree(old);
        }
    }

    /**
     * Finishes what a crash inside {@link #replace} interrupted: a complete new copy becomes the target (the old one
     * is displaced), else a missing target gets the old copy back; then every leftover copy is deleted. Returns
     * whether target exists afterwards.
     */
    public static boolean recover(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return false;
        }
        String prefix = "." + target.getFileName() + ".";
        List<Path> tmp = new ArrayList<>();
        List<Path> fresh = new ArrayList<>();
        List<Path> old = new ArrayList<>();
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith(prefix) || !Files.isDirectory(p)) {
                    continue;
                }
                String kind = n.substring(prefix.length());
                (kind.startsWith("tmp-") ? tmp : kind.startsWith("new-") ? fresh : kind.startsWith("old-") ? old : new ArrayList<Path>()).add(p);
            }
        }
        // one replace at a time writes a directory: at most one complete new copy, and it is the newest state
        if (!fresh.isEmpty()) {
            Path newest = fresh.remove(0);
            if (Files.exists(target)) {
                // the crash came after step 2: finish the swap (the same renames, so a crash here is recovered too)
                String id = newest.getFileName().toString().substring(prefix.length() + 4);
                Path displaced = target.toAbsolutePath().getParent().resolve(prefix + "old-" + id);
                Renames.move(target, displaced);
                old.add(displaced);
            }
            Renames.move(newest, target);
        } else if (!Files.exists(target) && !old.isEmpty()) {
            Renames.move(old.remove(0), target);
        }
        for (List<Path> leftovers : List.of(tmp, fresh, old)) {
            for (Path p : leftovers) {
                FileTrees.deleteTree(p);
            }
        }
        return Files.exists(target);
    }

    /** rwxr-xr-x, as mkdir under a usual umask gives (a temp directory starts as rwx------). */
    public static void setNormalPermissions(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException notPosix) {
            // keep the platform's default
        }
    }
}
