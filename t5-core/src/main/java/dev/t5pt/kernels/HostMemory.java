package dev.t5pt.kernels;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The CPU bytes behind an array, for kernels that read and write them directly. */
final class HostMemory {
    private HostMemory() {
    }

    /** The whole backing buffer of {@code a} in native order; element 0 of {@code a} is at {@link #base}. */
    static ByteBuffer bytes(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, found " + a.dataType());
        }
        if (!isDense(a)) {
            throw new IllegalArgumentException("expected a contiguous 'c' array, found shape "
                    + java.util.Arrays.toString(a.shape()) + " strides " + java.util.Arrays.toString(a.stride()));
        }
        DataBuffer data = a.data();
        int slot = System.identityHashCode(data) & (CACHE.length - 1);
        Cached c = CACHE[slot];
        if (c != null && c.owner.get() == data) {
            return c.bytes;
        }
        ByteBuffer b = data.asNio().order(ByteOrder.nativeOrder());
        CACHE[slot] = new Cached(new WeakReference<>(data), b);
        return b;
    }

    /**
     * The last byte view made of a buffer in each slot: ND4J's asNio goes through JNI, ~0.5 µs a call, and a
     * decode step's ~150 kernel calls ask for ~400 views of the same few buffers. Immutable, so a racy slot
     * write is safe; the view's position and limit are never changed (kernels use absolute access only).
     */
    private record Cached(WeakReference<DataBuffer> owner, ByteBuffer bytes) {
    }

    private static final Cached[] CACHE = new Cached[1024];

    /** True when the elements lie densely in row-major order (strides of size-1 dimensions do not matter). */
    static boolean isDense(INDArray a) {
        long expected = 1;
        for (int i = a.rank() - 1; i >= 0; i--) {
            if (a.size(i) != 1 && a.stride(i) != expected) {
                return false;
            }
            expected *= a.size(i);
        }
        return true;
    }

    /** Byte index of element 0 of {@code a} in {@link #bytes}. */
    static int base(INDArray a) {
        return (int) (a.offset() * 4);
    }
}
