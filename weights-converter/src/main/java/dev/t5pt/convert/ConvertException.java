package dev.t5pt.convert;

import java.io.IOException;

/** A checkpoint that cannot be converted: broken, hostile, or not a T5 model. The message says why and where. */
public class ConvertException extends IOException {
    public ConvertException(String message) {
        super(message);
    }

    public ConvertException(String message, Throwable cause) {
        super(message, cause);
    }
}
