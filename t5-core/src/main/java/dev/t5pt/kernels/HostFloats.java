package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;

import static dev.t5pt.kernels.VectorSupport.LE;
import static dev.t5pt.kernels.VectorSupport.S;

/**
 * A FLOAT array's host memory as the Vector API kernels address it: its bytes and the byte index of its element 0,
 * read and written by element index (i: the row-major index within the array). Every kernel starts by taking one
 * of these per array; the accessors are small enough for C2 to inline, so a load is the same instruction as
 * {@code FloatVector.fromByteBuffer} on the buffer itself.
 */
record HostFloats(ByteBuffer bytes, int base) {

    /** {@code a}'s memory; {@code a} must be a dense row-major FLOAT array (see {@link HostMemory#bytes}). */
    static HostFloats of(INDArray a) {
        return new HostFloats(HostMemory.bytes(a), HostMemory.base(a));
    }

    /** Byte index of element i in {@link #bytes}. */
    int at(int i) {
        return base + i * 4;
    }

    /** W floats from element i. */
    FloatVector load(int i) {
        return FloatVector.fromByteBuffer(S, bytes, base + i * 4, LE);
    }

    /** v into elements i .. i + W. */
    void store(FloatVector v, int i) {
        v.intoByteBuffer(bytes, base + i * 4, LE);
    }

    float get(int i) {
        return bytes.getFloat(base + i * 4);
    }

    void set(int i, float v) {
        bytes.putFloat(base + i * 4, v);
    }

    /** Copies n floats from element j of src to element i of this. */
    void copy(int i, HostFloats src, int j, int n) {
        bytes.put(base + i * 4, src.bytes, src.base + j * 4, n * 4);
    }
}
