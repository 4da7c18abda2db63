package dev.t5pt.kernels;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Matrix products through oneDNN's matmul primitive where oneDNN has its brgemm kernels for this CPU (AVX-512
 * and newer): c = op(a)·op(b), or c += with accumulate, for the projections (a: [M, K], b: [N, K] (transB) or
 * [K, N], c: [M, N]) and the attention's batched products (the same with a leading batch index), any strides
 * with a unit one in each matrix. On a two-core Zen 4 these run at 206-229 GFLOP/s for T5-small's projection
 * shapes where ND4J's OpenBLAS runs at 165-207 (benchmarks/SPEED_LOG.md, sixteenth session).
 * Elsewhere (no brgemm for the CPU or for the arrays' strides, oneDNN not loadable, or the JVM started with
 * {@code -Dt5pt.onednn=false}) {@link #multiply} returns false and the caller computes the product itself (ND4J's
 * GEMM, t5pt's batched kernel).
 *
 * <p>A primitive is made once per shape and strides and kept per thread, with its memory objects: a call then
 * only points them at the arrays' buffers (oneDNN's memory objects and streams are not to be shared between
 * threads; the primitives' kernels are). Results depend on the shape only, not on the buffers: a bfloat16
 * weight's float32 upcast gives the bits of the same weight held as float32.
 */
final class OneDnnGemm {
    private OneDnnGemm() {
    }

    /** Primitives kept per thread; past this many shapes the thread's cache starts over (bounded memory). */
    private static final int MAX_SHAPES = 64;

    /** The CPU engine, or null where oneDNN cannot be loaded or has no brgemm kernels for this CPU. */
    private static final engine ENGINE;
    /** The implementation oneDNN picks for a projection-sized product here ("brg:avx512_core"), or "". */
    private static final String IMPL;

    static {
        String[] impl = {""};
        ENGINE = openEngine(impl);
        IMPL = impl[0];
    }

    /** Whether {@link #project} packs float32 weights (on unless the JVM starts with -Dt5pt.onednn.pack=false). */
    private static final boolean PACK = Boolean.parseBoolean(System.getProperty("t5pt.onednn.pack", "true"));

    private static final ThreadLocal<PerThread> THREAD = ThreadLocal.withInitial(PerThread::new);

    /** True when products go through oneDNN here (its library loads and it has brgemm kernels for this CPU). */
    static boolean available() {
        return ENGINE != null;
    }

    /** "onednn brg:avx512_core" where used, else "openblas": what runs the projections' GEMMs. */
    static String describe() {
        return ENGINE == null ? "openblas" : "onednn " + IMPL;
    }

    /** A dense float32 [rows, cols] memory descriptor. */
    private static memory.desc desc(long rows, long cols) {
        return new memory.desc(new long[]{rows, cols}, memory.data_type.f32, memory.format_tag.ab);
    }

    private static engine openEngine(String[] impl) {
        boolean wanted = Boolean.parseBoolean(System.getProperty("t5pt.onednn", "true"));
        if (!wanted || !"amd64".equals(System.getProperty("os.arch"))) { // the natives shipped: Linux x86-64
            return null;
        }
        try {
            engine e = new engine(engine.kind.cpu, 0);
            // a probe: the implementation oneDNN picks for a projection-sized product on this CPU
            matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(
                    desc(256, 512), desc(512, 512), desc(256, 512)), e);
            impl[0] = pd.impl_info_str().getString();
            return impl[0].startsWith("brg") ? e : null;
        } catch (Throwable t) { // no native library for this platform, or it fails to load: ND4J's GEMM then
            return null;
        }
    }

    /** c (+)= a·op(b) through oneDNN when it can; false (nothing written) when the caller must use ND4J. */
    static boolean multiply(INDArray a, INDArray b, boolean transB, INDArray c, boolean accumulate) {
        return multiply(a, false, b, transB, c, accumulate);
    }

    /**
     * c (+)= op(a)·op(b) for matrices (rank 2) or batches of them (rank 3, one product per leading index, the
     * three batch sizes equal); op transposes when asked, which only swaps strides. False (nothing written) when
     * the caller must compute it otherwise.
     */
    static boolean multiply(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean accumulate) {
        int r = c.rank();
        if (ENGINE == null || (r != 2 && r != 3) || a.rank() != r || b.rank() != r
                || (r == 3 && (a.size(0) != c.size(0) || b.size(0) != c.size(0)))
                || a.dataType() != DataType.FLOAT || b.dataType() != DataType.FLOAT || c.dataType() != DataType.FLOAT
                || !unitStride(a) || !unitStride(b) || !unitStride(c)) {
            return false;
        }
        Prepared p = THREAD.get().prepared(Shape.of(a, transA, b, transB, c, accumulate, false));
        if (p == NOT_HERE) {
            return false;
        }
        p.run(a, b.data().addressPointer(), c);
        return true;
    }

    /**
     * y = x·Wᵀ for a float32 weight W [N, K] that is never written (a frozen model's), through a copy of W that
     * oneDNN packs into its blocked layout on first use and keeps while W lives: the products then skip the
     * per-call copy of W's panels (T5-small's projection shapes, alternating in one JVM: 217-227 against 202-221
     * GFLOP/s; the T5-small encoder pass 376-379 against 394-406 ms) and give the same bits. The copy costs the
     * weight's size again in native memory, within {@link PackedWeights}'s budget. False when the caller must
     * compute it otherwise (and then through {@link #multiply}).
     */
    static boolean project(INDArray x, INDArray w, INDArray y) {
        if (!PACK || ENGINE == null || x.rank() != 2 || w.rank() != 2 || y.rank() != 2
                || x.dataType() != DataType.FLOAT || w.dataType() != DataType.FLOAT || y.dataType() != DataType.FLOAT
                || x.stride(1) != 1 || y.stride(1) != 1 || w.stride(1) != 1) {
            return false;
        }
        Prepared p = THREAD.get().prepared(Shape.of(x, false, w, true, y, false, true));
        if (p == NOT_HERE) {
            return false;
        }
        Pointer packed = PackedWeights.of(w, p.weightsDesc, p.stream);
        if (packed == null) {
            return false; // another blocked layout for this row count than W was packed in
        }
        p.run(x, packed, y);
        return true;
    }

    /** Each matrix of x is stored by rows or by columns (unit stride along one of its two dimensions). */
    private static boolean unitStride(INDArray x) {
        int r = x.rank();
        return x.stride(r - 1) == 1 || x.stride(r - 2) == 1 || x.size(r - 1) == 1 || x.size(r - 2) == 1;
    }

    /** x's dims then strides into key[at..], its last two swapped when transposed. */
    private static void layout(INDArray x, boolean transposed, long[] key, int at) {
        int r = x.rank();
        for (int i = 0; i < r; i++) {
            int from = transposed && i >= r - 2 ? 2 * r - 3 - i : i;
            key[at + i] = x.size(from);
            key[at + r + i] = x.size(from) == 1 ? 1 : x.stride(from);
        }
    }

    /**
     * What a primitive is made for: src, weights and dst dims and strides (batch first when rank 3), whether it
     * accumulates, and whether its weights come packed ({@link #project}).
     */
    private record Shape(long[] key) {
        static Shape of(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean accumulate,
                        boolean packed) {
            int r = c.rank();
            long[] key = new long[6 * r + 2];
            layout(a, transA, key, 0);
            layout(b, transB, key, 2 * r);
            layout(c, false, key, 4 * r);
            key[6 * r] = accumulate ? 1 : 0;
            key[6 * r + 1] = packed ? 1 : 0;
            return new Shape(key);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && Arrays.equals(key, s.key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key);
        }

        int rank() {
            return (key.length - 2) / 6;
        }

        /** src (0), weights (1) or dst (2); packed weights in the layout oneDNN chooses. */
        memory.desc desc(int which) {
            int r = rank();
            int at = 2 * r * which;
            long[] dims = Arrays.copyOfRange(key, at, at + r);
            return which == 1 && packed() ? new memory.desc(dims, memory.data_type.f32, memory.format_tag.any)
                    : new memory.desc(dims, memory.data_type.f32, Arrays.copyOfRange(key, at + r, at + 2 * r));
        }

        boolean accumulate() {
            return key[key.length - 2] != 0;
        }

        boolean packed() {
            return key[key.length - 1] != 0;
        }
    }

    /**
     * One shape's primitive, the memory objects its calls point at the arrays, their argument map, and the
     * weights' layout (packed, for {@link #project}).
     */
    private record Prepared(matmul matmul, memory src, memory weights, memory dst, IntMemoryMap args, stream stream,
                            memory.desc weightsDesc) {
        void run(INDArray a, Pointer weightsData, INDArray c) {
            src.set_data_handle(a.data().addressPointer());
            weights.set_data_handle(weightsData);
            dst.set_data_handle(c.data().addressPointer());
            matmul.execute(stream, args);
            stream._wait();
        }
    }

    /** The cache's mark for a shape oneDNN has no brgemm kernel for: ND4J's GEMM computes it. */
    private static final Prepared NOT_HERE = new Prepared(null, null, null, null, null, null, null);

    private static final class PerThread {
        private final stream stream = new stream(ENGINE);
        private final Map<Shape, Prepared> cache = new HashMap<>();

        Prepared prepared(Shape s) {
            Prepared p = cache.get(s);
            if (p == null) {
                if (cache.size() >= MAX_SHAPES) {
                    cache.clear(); // the primitives free their kernels when collected
                }
                p = prepare(s);
                cache.put(s, p);
            }
            return p;
        }

        private Prepared prepare(Shape s) {
            memory.desc src = s.desc(0);
            memory.desc weights = s.desc(1); // oneDNN's [K, N]: b [N, K] read transposed through its strides
            memory.desc dst = s.desc(2);
            primitive_attr attr = new primitive_attr();
            if (s.accumulate()) {
                post_ops sum = new post_ops();
                sum.append_sum(); // scale 1: c += a·op(b)
                attr.set_post_ops(sum);
            }
            matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(src, weights, dst), attr, ENGINE);
            if (!pd.impl_info_str().getString().startsWith("brg")) {
                return NOT_HERE; // oneDNN's other kernels for this shape (strided output, ...) are no faster than ND4J's
            }
            memory.desc chosen = pd.weights_desc();
            memory ms = new memory(src, ENGINE, null);
            memory mw = new memory(chosen, ENGINE, null);
            memory md = new memory(dst, ENGINE, null);
            IntMemoryMap args = new IntMemoryMap();
            args.put(dnnl.DNNL_ARG_SRC, ms);
            args.put(dnnl.DNNL_ARG_WEIGHTS, mw);
            args.put(dnnl.DNNL_ARG_DST, md);
            return new Prepared(new matmul(pd), ms, mw, md, args, stream, chosen);
        }
    }

}
