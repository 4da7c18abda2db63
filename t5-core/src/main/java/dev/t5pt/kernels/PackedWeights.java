package dev.t5pt.kernels;

import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.management.ManagementFactory;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;

/**
 * Float32 weights packed once into oneDNN's blocked layout for {@link OneDnnGemm#project} (within a memory
 * budget), each kept while its weight array is reachable: keyed by the array's identity (an array's equals compares contents), held weakly,
 * the packed copy freed (by its memory object's deallocator) once the array is gone. A frozen weight is never
 * written, so its packed copy never goes stale.
 */
final class PackedWeights {
    private PackedWeights() {
    }

    /** A weight's packed copy and the layout it was packed in. */
    private record Packed(memory.desc layout, memory memory) {
    }

    private static final Map<Key, Packed> PACKED = new HashMap<>();
    private static final ReferenceQueue<INDArray> GONE = new ReferenceQueue<>();

    /**
     * Packed copies take at most an eighth of the machine's memory in all: a float32 T5-small or T5-base is
     * packed whole, a larger float32 model in part (the rest multiplies unpacked, a few percent slower), and a
     * model held as bfloat16 or int8 not at all (its products run over a per-call float32 upcast).
     */
    private static final long BUDGET = physicalMemory() / 8;
    private static long packedBytes;

    /**
     * The packed copy of w [N, K] (read as oneDNN's [K, N] weights) in the given layout, packed now if it is not
     * yet; null when w was packed in another layout (a primitive for another row count chose another blocking)
     * or the budget is spent.
     */
    static synchronized Pointer of(INDArray w, memory.desc layout, stream stream) {
        for (Object gone; (gone = GONE.poll()) != null; ) {
            Packed freed = PACKED.remove(gone);
            packedBytes -= freed == null ? 0 : freed.layout.get_size();
        }
        Packed p = PACKED.get(new Key(w, null));
        if (p == null) {
            if (packedBytes + layout.get_size() > BUDGET) {
                return null;
            }
            p = pack(w, layout, stream);
            PACKED.put(new Key(w, GONE), p);
            packedBytes += layout.get_size();
        }
        return p.layout.equals(layout) ? p.memory.get_data_handle() : null;
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static Packed pack(INDArray w, memory.desc layout, stream stream) {
        engine e = stream.get_engine();
        // w [N, K] row-major is the [K, N] weights matrix with strides (1, K)
        memory.desc plain = new memory.desc(new long[]{w.size(1), w.size(0)}, memory.data_type.f32,
                new long[]{1, w.stride(0)});
        memory from = new memory(plain, e, w.data().addressPointer());
        memory to = new memory(layout, e); // allocated by oneDNN
        new reorder(from, to).execute(stream, from, to);
        stream._wait();
        return new Packed(layout, to);
    }

    /** An array by identity, weakly. */
    private static final class Key extends WeakReference<INDArray> {
        private final int hash;

        Key(INDArray a, ReferenceQueue<INDArray> queue) {
            super(a, queue);
            hash = System.identityHashCode(a);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            INDArray a = get();
            return o instanceof Key k && a != null && a == k.get();
        }
    }
}
