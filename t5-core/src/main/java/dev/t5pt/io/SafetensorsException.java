package dev.t5pt.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that is not what it claims to be; the message names the file. */
public final class SafetensorsException extends IOException {
    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
