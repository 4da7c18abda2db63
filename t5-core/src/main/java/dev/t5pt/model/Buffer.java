package dev.t5pt.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One preallocated buffer of an {@link Activations}, reused from call to call: a request for a shape that fits
 * its capacity returns a view of the existing off-heap array; only a larger shape allocates (counted by its
 * Activations). Each is a field of some layer's workspace, so what a pass keeps is visible in the types.
 */
public final class Buffer {
    private final Activations owner;
    private INDArray backing; // [capacity], zero-initialised when allocated
    private INDArray view;    // the last shape handed out
    private Object key;       // what the contents were computed from, for cached buffers

    Buffer(Activations owner) {
        this.owner = owner;
    }

    /** A view of exactly {@code shape}; its contents are whatever was last written. */
    public INDArray get(long... shape) {
        if (view != null && Arrays.equals(view.shape(), shape)) {
            return view;
        }
        key = null;
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (backing == null || backing.length() < n) {
            backing = Nd4j.create(owner.dataType(), Math.max(n, 1));
            owner.allocated(Math.max(n, 1) * owner.dataType().width());
        }
        view = Nd4j.create(backing.data(), shape, Nd4j.getStrides(shape, 'c'), 0, 'c', owner.dataType());
        return view;
    }

    /**
     * A view whose contents are a pure function of {@code key}: {@code fill} runs only when the key or the shape
     * changed since the last call (position biases).
     */
    public INDArray cached(Object key, Consumer<INDArray> fill, long... shape) {
        INDArray before = view;
        INDArray a = get(shape);
        if (a != before || !key.equals(this.key)) {
            fill.accept(a);
            this.key = key;
        }
        return a;
    }

    /** The view last handed out, or null: for dumps of intermediates and tests. */
    public INDArray peek() {
        return view;
    }

    /** Bytes held. */
    long bytes() {
        return backing == null ? 0 : backing.length() * owner.dataType().width();
    }
}
