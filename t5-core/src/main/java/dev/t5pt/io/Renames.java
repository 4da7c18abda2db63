package dev.t5pt.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The one place t5pt renames a file or directory into place: every atomic write ends here (temp file → target,
 * staged directory → target). Crash tests install a {@link Hook} that stops the process before the k-th rename,
 * as {@code strace -e inject=rename:signal=KILL:when=k} does from outside.
 */
public final class Renames {
    /** Called before each rename; a crash test throws from it (an {@link Error}, so no cleanup code runs). */
    @FunctionalInterface
    public interface Hook {
        void beforeRename(Path from, Path to);
    }

    private static volatile Hook hook;

    private Renames() {
    }

    /** Installs a hook (null removes it). For crash tests only. */
    public static void setHook(Hook h) {
        hook = h;
    }

    /** rename(2) of from onto to: atomic; a file replaces an existing file, a directory needs to be free. */
    public static void move(Path from, Path to) throws IOException {
        Hook h = hook;
        if (h != null) {
            h.beforeRename(from, to);
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
