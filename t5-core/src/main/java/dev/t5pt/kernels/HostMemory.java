package dev.t5pt.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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
        ByteBuffer b = a.data().asNio();
        return b.order(ByteOrder.nativeOrder());
    }

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
