package dev.t5pt.convert;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens any supported checkpoint, detecting its format from names and, for single files, magic bytes. */
public final class Checkpoints {
    private Checkpoints() {
    }

    public static Checkpoint open(Path path) throws IOException {
        if (!Files.exists(path) && !Files.exists(path.resolveSibling(path.getFileName() + ".index"))) {
            throw new ConvertException(path + ": no such file, directory or TensorFlow checkpoint prefix");
        }
        if (SafetensorsCheckpoint.looksLike(path)) {
            return SafetensorsCheckpoint.open(path);
        }
        if (TorchCheckpoint.looksLike(path)) {
            return TorchCheckpoint.open(path);
        }
        if (TfCheckpoint.looksLike(path)) {
            return TfCheckpoint.open(path);
        }
        if (Files.isRegularFile(path)) {
            byte[] head;
            try (InputStream in = Files.newInputStream(path)) {
                head = in.readNBytes(4);
            }
            if (head.length >= 2 && head[0] == 'P' && head[1] == 'K' || head.length >= 1 && (head[0] & 0xff) == 0x80) {
                return TorchCheckpoint.open(path);
            }
            return SafetensorsCheckpoint.open(path);
        }
        throw new ConvertException(path + ": no checkpoint found; expected model.safetensors (or a sharded index),"
                + " pytorch_model.bin (or pytorch_model.bin.index.json), or a TensorFlow checkpoint prefix"
                + " such as model.ckpt-1000 (for model.ckpt-1000.index + .data-*)");
    }
}
