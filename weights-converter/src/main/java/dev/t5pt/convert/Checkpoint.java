package dev.t5pt.convert;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import dev.t5pt.config.T5Config;
import java.util.Map;
import java.util.Collection;

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

    /** The bytes as the format stores them, any entry (a TF checkpoint's strings too), checked where it can be. */
    default ByteBuffer readStored(SourceTensor t) throws IOException {
        return read(t);
    }

    /** Whether the tensor's data is there to read (a TF checkpoint's data shard may be absent). */
    default boolean dataPresent(SourceTensor t) {
        return true;
    }

    /** Fails, naming what is missing, unless the data of every tensor in needed can be read: before any writing. */
    default void requireData(Collection<SourceTensor> needed) throws ConvertException {
    }

    /** Whether tensors carry Mesh TensorFlow's names ([in, out] layout) rather than Hugging Face's. */
    default boolean meshTensorFlowNames() {
        return false;
    }

    /**
     * The model config when no config.json comes with the checkpoint, from what the format knows (a TF
     * checkpoint: operative_config.gin and the tensor shapes). source[0] receives where it came from.
     */
    default T5Config configWithoutJson(Map<String, long[]> shapes, String[] source) throws IOException {
        throw new ConvertException(source() + ": no config.json beside the weights; pass --config config.json");
    }
}
