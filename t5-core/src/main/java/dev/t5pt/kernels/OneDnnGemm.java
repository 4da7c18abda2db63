package dev.t5pt.kernels;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;

/**
 * The projections' sgemm through oneDNN's matmul primitive where oneDNN has its brgemm kernels for this CPU
 * (AVX-512 and newer): c = a·op(b), or c += with accumulate; a: [M, K], b: [N, K] (transB) or [K, N], c: [M, N],
 * each with unit stride along its rows. On a Zen 4 core these run at 206-229 GFLOP/s on two cores for T5-small's
 * projection shapes where ND4J's OpenBLAS runs at 165-207 (benchmarks/SPEED_LOG.md, sixteenth session).
 * Elsewhere (no brgemm for the CPU or for the arrays' strides, oneDNN not loadable) {@link #multiply} returns
 * false and the caller uses ND4J's GEMM.
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

    private static final ThreadLocal<PerThread> THREAD = ThreadLocal.withInitial(PerThread::new);

    /** True when products go through oneDNN here (its library loads and it has brgemm kernels for this CPU). */
    static boolean available() {
        return ENGINE != null;
    }

    /** "onednn brg:avx512_core" where used, else "openblas": what runs the projections' GEMMs. */
    static String describe() {
        return ENGINE == null ? "openblas" : "onednn " + IMPL;
    }

    private static engine openEngine(String[] impl) {
        if (Boolean.getBoolean("t5pt.gemm.openblas") || !"amd64".equals(System.getProperty("os.arch"))) {
            return null;
        }
        try {
            engine e = new engine(engine.kind.cpu, 0);
            // a probe: the implementation oneDNN picks for a projection-sized product on this CPU
            matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(
                    desc(256, 512, 512, 1), desc(512, 512, 1, 512), desc(256, 512, 512, 1)), e);
            impl[0] = pd.impl_info_str().getString();
            return impl[0].startsWith("brg") ? e : null;
        } catch (Throwable t) { // no native library for this platform, or it fails to load: ND4J's GEMM then
            return null;
        }
    }

    /** c (+)= a·op(b) through oneDNN when it can; false (nothing written) when the caller must use ND4J. */
    static boolean multiply(INDArray a, INDArray b, boolean transB, INDArray c, boolean accumulate) {
        if (ENGINE == null || a.rank() != 2 || b.rank() != 2 || c.rank() != 2
                || a.dataType() != DataType.FLOAT || b.dataType() != DataType.FLOAT || c.dataType() != DataType.FLOAT
                || !unitColumns(a) || !unitColumns(b) || !unitColumns(c)) {
            return false;
        }
        long m = a.size(0), k = a.size(1), n = transB ? b.size(0) : b.size(1);
        Shape s = new Shape(m, k, n, a.stride(0), b.stride(0), transB, c.stride(0), accumulate);
        Prepared p = THREAD.get().prepared(s);
        if (p == NOT_HERE) {
            return false;
        }
        p.src.set_data_handle(a.data().addressPointer());
        p.weights.set_data_handle(b.data().addressPointer());
        p.dst.set_data_handle(c.data().addressPointer());
        p.matmul.execute(p.stream, p.args);
        p.stream._wait();
        return true;
    }

    /** Unit stride along the columns (any row stride), or a single column. */
    private static boolean unitColumns(INDArray x) {
        return x.size(1) == 1 || x.stride(1) == 1;
    }

    /** What a primitive is made for: sizes, row strides, b's layout, accumulation. */
    private record Shape(long m, long k, long n, long aRow, long bRow, boolean transB, long cRow, boolean accumulate) {
    }

    /** One shape's primitive, the memory objects its calls point at the arrays, and their argument map. */
    private record Prepared(matmul matmul, memory src, memory weights, memory dst, IntMemoryMap args, stream stream) {
    }

    /** The cache's mark for a shape oneDNN has no brgemm kernel for: ND4J's GEMM computes it. */
    private static final Prepared NOT_HERE = new Prepared(null, null, null, null, null, null);

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
            memory.desc src = desc(s.m, s.k, s.aRow, 1);
            // b as oneDNN's [K, N] weights: b [N, K] read transposed (strides 1, bRow), or b [K, N] as it is
            memory.desc weights = s.transB ? desc(s.k, s.n, 1, s.bRow) : desc(s.k, s.n, s.bRow, 1);
            memory.desc dst = desc(s.m, s.n, s.cRow, 1);
            primitive_attr attr = new primitive_attr();
            if (s.accumulate) {
                post_ops sum = new post_ops();
                sum.append_sum(); // scale 1: c += a·op(b)
                attr.set_post_ops(sum);
            }
            matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(src, weights, dst), attr, ENGINE);
            if (!pd.impl_info_str().getString().startsWith("brg")) {
                return NOT_HERE; // oneDNN's other kernels for this shape (strided output, ...) are no faster than ND4J's
            }
            memory ms = new memory(src, ENGINE, null);
            memory mw = new memory(weights, ENGINE, null);
            memory md = new memory(dst, ENGINE, null);
            IntMemoryMap args = new IntMemoryMap();
            args.put(dnnl.DNNL_ARG_SRC, ms);
            args.put(dnnl.DNNL_ARG_WEIGHTS, mw);
            args.put(dnnl.DNNL_ARG_DST, md);
            return new Prepared(new matmul(pd), ms, mw, md, args, stream);
        }
    }

    /** A float32 [rows, cols] memory descriptor with the given strides (in elements). */
    private static memory.desc desc(long rows, long cols, long rowStride, long colStride) {
        return new memory.desc(new long[]{rows, cols}, memory.data_type.f32, new long[]{rowStride, colStride});
    }
}
