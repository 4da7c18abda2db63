package dev.t5pt.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * I/O errors a user can act on: the path the user knows (the file being written, not its temporary name) and
 * the reason in words ("permission denied", "No space left on device"), never a bare path or a bare reason.
 */
public final class IoErrors {
    private IoErrors() {
    }

    /** An I/O error that already names the user's path. */
    public static final class PathIOException extends IOException {
        private final transient Path path;
        private final String reason;

        PathIOException(Path path, String reason, Throwable cause) {
            super(path + ": " + reason, cause);
            this.path = path;
            this.reason = reason;
        }

        public Path path() {
            return path;
        }

        public String reason() {
            return reason;
        }
    }

    /** The error as "target: reason", for the file or directory the caller was writing. */
    public static PathIOException at(Path target, IOException e) {
        return e instanceof PathIOException p && p.path().equals(target) ? p : new PathIOException(target, reason(e), e);
    }

    /** What went wrong, without the path. */
    public static String reason(IOException e) {
        if (e instanceof PathIOException p) {
            return p.reason();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof FileSystemException) {
            return e.getClass().getSimpleName();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * Fails with the path and what was expected unless path is a readable file: the JDK says only "Is a
     * directory" when a directory is read as a file.
     */
    public static Path requireFile(Path path, String expected) throws IOException {
        if (java.nio.file.Files.isDirectory(path)) {
            throw new PathIOException(path, "is a directory, expected " + expected, null);
        }
        if (!java.nio.file.Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such file (expected " + expected + ")");
        }
        return path;
    }

    /** One line for any I/O error: a file system error with its file, others as their message. */
    public static String describe(IOException e) {
        if (e instanceof PathIOException) {
            return e.getMessage();
        }
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + reason(e);
        }
        return reason(e);
    }
}
