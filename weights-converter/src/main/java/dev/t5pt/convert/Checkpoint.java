package dev.t5pt.convert;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A checkpoint opened for reading, whatever its format: the list of stored tensors and, on demand, the bytes
 * of one of them. Opening validates everything that can be checked without reading tensor data (headers,
 * offsets against file sizes, shapes against byte counts); {@link #read} validates the rest (checksums).
 */
public interface Checkpoint extends Closeable {

    /** "safetensors", "pytorch" or "tensorflow". */
    String format();

    /** The file or prefix the checkpoint was opened from. */
    Path source();

    /** Every stored tensor, in the order the format lists them. */
    List<SourceTensor> tensors();

    /**
     * The tensor's elements, row-major, little-endian, exactly {@link SourceTensor#byteSize()} bytes, position 0.
     * Only for tensors with a dtype.
     */
    ByteBuffer read(SourceTensor t) throws IOException;

    /** Format-specific columns for a listing (shard, offset, checksum, strides ...), tab-separated. */
    default String details(SourceTensor t) {
        return t.location();
    }
}
