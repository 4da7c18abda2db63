package dev.t5pt.io;

import java.nio.charset.StandardCharsets;

/** What a file that should be safetensors looks like instead, from its first 8 bytes: for a message a user can act on. */
final class FileKind {
    private FileKind() {
    }

    /** A description, or null when the bytes say nothing recognisable. */
    static String guess(byte[] head) {
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return "a zip archive (the format of PyTorch's pytorch_model.bin, which ./t5pt convert reads from a .bin file)";
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            return "a Python pickle (PyTorch's legacy .bin format, which ./t5pt convert refuses: re-save it with torch >= 1.6)";
        }
        if (head.length >= 6 && (head[0] & 0xff) == 0x93 && new String(head, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            return "a NumPy .npy file";
        }
        if (head.length >= 4 && (head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F') {
            return "an HDF5 file (Keras/TensorFlow .h5)";
        }
        if (head.length >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            return "a GGUF file (llama.cpp)";
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return "a gzip archive";
        }
        int printable = 0;
        for (byte b : head) {
            printable += (b >= 0x20 && b < 0x7f) || b == '\n' || b == '\r' || b == '\t' ? 1 : 0;
        }
        if (printable == head.length) {
            String start = new String(head, StandardCharsets.US_ASCII).strip();
            return start.startsWith("{") || start.startsWith("[") ? "a JSON text file" : "a text file (it starts \"" + start + "\")";
        }
        return null;
    }
}
