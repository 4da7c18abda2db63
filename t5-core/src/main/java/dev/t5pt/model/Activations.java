package dev.t5pt.model;

import org.nd4j.linalg.api.buffer.DataType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The preallocated buffers of one thread of work, reused from call to call. Each component declares what it keeps
 * as a workspace class of {@link Buffer} fields beside its code (an attention's Q/K/V heads and probabilities, a
 * block's sub-layer outputs, the layers' shared scratch, a stack's per-block workspaces); this object holds one
 * workspace of each type, made on first use. Buffers grow to the largest shape asked for and are counted by
 * {@link #allocations()}, so tests can prove a steady state allocates nothing. Not thread-safe: one Activations per
 * thread; the model's weights are shared.
 */
public final class Activations {
    private final Map<Class<?>, Object> workspaces = new LinkedHashMap<>();
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

    /** A new buffer owned by this set: for the fields of a workspace. */
    public Buffer buffer() {
        return new Buffer(this);
    }

    /** This set's workspace of the given type, made by {@code make} on first use. */
    public <T> T workspace(Class<T> type, Function<Activations, T> make) {
        Object w = workspaces.get(type);
        if (w == null) {
            w = make.apply(this);
            workspaces.put(type, w);
        }
        return type.cast(w);
    }

    void allocated(long bytes) {
        allocations++;
        allocatedBytes += bytes;
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
        workspaces.clear();
    }
}
