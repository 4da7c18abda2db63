package dev.t5pt.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting a directory tree (t5pt's own temporary and replaced directories only). */
public final class FileTrees {
    private FileTrees() {
    }

    /** Deletes p and everything under it (symbolic links themselves, never what they point to); absent p is fine. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** Whether inside is root or lies under it (both made absolute and normalized, links resolved where they exist). */
    public static boolean contains(Path root, Path inside) {
        Path r = real(root);
        Path i = real(inside);
        return i.startsWith(r);
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException missing) {
            Path parent = abs.getParent();
            return parent == null ? abs : real(parent).resolve(abs.getFileName());
        }
    }
}
