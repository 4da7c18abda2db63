package dev.t5pt.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The named, preallocated buffers one batch shape needs, reused from call to call. A request for a
 * shape that fits a slot's capacity returns a view of the existing off-heap buffer; only a larger shape
 * allocates (counted by {@link #allocations()}, so tests can prove a steady state allocates nothing).
 * Not thread-safe: one {@code Activations} per thread of work; the model's weights are shared.
 */
public final class Activations {
    private static final class Slot {
        INDArray backing; // [capacity], zero-initialised when allocated
        INDArray view;    // the last shape handed out
        Object key;       // what the contents were computed from, for cached buffers
    }

    private final Map<String, Slot> slots = new HashMap<>();
    private final DataType dataType;
    private long allocations;
    private long allocatedBytes;

    /** FLOAT buffers, what the model computes in. */
    public Activations() {
        this(DataType.FLOAT);
    }

    /** Buffers of another type: DOUBLE for gradient checks with the ND4J kernels. */
    public Activations(DataType dataType) {
        this.dataType = dataType;
    }

    public DataType dataType() {
        return dataType;
    }

    /** A buffer of exactly {@code shape} under {@code name}; its contents are whatever was last written. */
    public INDArray get(String name, long... shape) {
        Slot s = slots.computeIfAbsent(name, k -> new Slot());
        if (s.view != null && Arrays.equals(s.view.shape(), shape)) {
            return s.view;
        }
        s.key = null;
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (s.backing == null || s.backing.length() < n) {
            s.backing = Nd4j.create(dataType, Math.max(n, 1));
            allocations++;
            allocatedBytes += Math.max(n, 1) * dataType.width();
        }
        s.view = Nd4j.create(s.backing.data(), shape, Nd4j.getStrides(shape, 'c'), 0, 'c', dataType);
        return s.view;
    }

    /**
     * A buffer whose contents are a pure function of {@code key}: {@code fill} runs only when the key or
     * the shape changed since the last call (position biases, masks).
     */
    public INDArray cached(String name, Object key, java.util.function.Consumer<INDArray> fill, long... shape) {
        INDArray before = peek(name);
        INDArray a = get(name, shape);
        Slot s = slots.get(name);
        if (a != before || !key.equals(s.key)) {
            fill.accept(a);
            s.key = key;
        }
        return a;
    }

    /** The buffer last handed out under {@code name}, or null; for tests and debugging dumps. */
    public INDArray peek(String name) {
        Slot s = slots.get(name);
        return s == null ? null : s.view;
    }

    /** Off-heap buffers allocated so far. */
    public long allocations() {
        return allocations;
    }

    /** Bytes of off-heap buffers allocated so far. */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** Drops every buffer (the memory is freed when ND4J's deallocator collects them). */
    public void clear() {
        slots.clear();
    }
}
