package dev.t5pt.convert;

import dev.t5pt.io.DType;

import java.util.Arrays;

/**
 * One tensor as a checkpoint stores it.
 *
 * @param name     the name in the checkpoint (before any mapping)
 * @param typeName the element type as the format spells it ("F32", "torch.BFloat16Storage", "DT_BFLOAT16")
 * @param dtype    the same type as a safetensors type, or null when it has none (strings, complex, ...)
 * @param shape    row-major dimensions
 * @param aliasKey equal for two names that view the very same bytes (torch's shared storages); null if none
 * @param location where the bytes are, in the reader's own terms (for listings and errors)
 */
public record SourceTensor(String name, String typeName, DType dtype, long[] shape, String aliasKey,
                           String location) {

    public long numElements() {
        return Shapes.numElements(shape, name);
    }

    /** Bytes of the row-major data; only for tensors with a dtype. */
    public long byteSize() {
        return Math.multiplyExact(numElements(), (long) dtype.size);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceTensor t && t.name.equals(name) && t.typeName.equals(typeName)
                && Arrays.equals(t.shape, shape) && t.location.equals(location);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + typeName + " " + shapeString();
    }
}
