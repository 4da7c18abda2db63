package dev.t5pt.weights;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native memory for compact weights, taken from ND4J's allocator (so it counts against the same
 * {@code org.bytedeco.javacpp.maxbytes} limit as every array, and not against the JVM's direct-memory limit).
 * The owner keeps the memory alive: a view of it must hold its owner.
 */
record OffHeap(INDArray owner /* BYTE [n] */, ByteBuffer bytes /* little-endian */) {
    static OffHeap allocate(long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a matrix of " + n + " bytes: compact weights are held per matrix, up to 2 GiB each");
        }
        INDArray a = Nd4j.createUninitialized(DataType.BYTE, Math.max(1, n));
        ByteBuffer b = a.data().asNio().order(ByteOrder.LITTLE_ENDIAN);
        return new OffHeap(a, b.limit((int) n));
    }

    /** Frees owner's memory if it is native memory allocated here (a file mapping is left to the collector). */
    static void release(Object owner) {
        if (owner instanceof OffHeap h) {
            h.owner().close();
        }
    }
}
