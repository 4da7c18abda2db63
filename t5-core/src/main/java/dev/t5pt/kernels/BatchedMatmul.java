package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.IntConsumer;

/**
 * The attention's products, c[i] = op(a[i])·op(b[i]) for every i of a batch of small matrices (one per batch
 * row and head), as a register-blocked Vector API kernel: each product packs op(b) into zero-padded heap
 * column panels ([k, 4W] each, the last 2-4 vectors wide, walked with a constant stride), copies a to the heap,
 * and computes, panel by panel, 6×(4, or 2-3 for the last panel, vectors) tiles of c ({@link MatmulTiles}) with
 * broadcast-FMA along the shared dimension, each tile starting from zero and storing its rows straight into c (the stores drain
 * while the next tile computes; a staged heap copy of c cost a zero fill and a write-back). The largest tile
 * holds 29 vectors, sized for AVX-512's 32 registers. Products that share a b (one weight per head) share its
 * packing. Products are spread over the cores; each output element is summed by one thread in a fixed order, so
 * results are bit-reproducible.
 * Shapes: a [n, M, K] (or [n, K, M] when transA), b [nb, K, N] (or [nb, N, K] when transB) with nb dividing n
 * (product i takes b[i mod nb]: one weight per head for a batch laid out [B·H, ...]), c [n, M, N]; with add,
 * c += op(a)·op(b).
 */
final class BatchedMatmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();
    private static final ByteOrder LE = ByteOrder.nativeOrder();
    /** Rows of a tile ({@link MatmulTiles}). */
    private static final int ROWS = MatmulTiles.ROWS;
    /** Vectors per tile row: every panel of b but the last is 4W wide. */
    private static final int PANEL_VECTORS = 4;
    /** Products with fewer rows (decoding) go straight from the buffers, without packing. */
    private static final int FEW_ROWS = 4;
    /** Products smaller than this (decoding) run on the calling thread: a hand-off would cost more. */
    private static final long SERIAL_MAX_FMAS = 1 << 19;

    private static final ThreadLocal<Panels> PANELS = ThreadLocal.withInitial(Panels::new);

    private BatchedMatmul() {
    }

    /** c (+)= op(a)·op(b); then, when given, after(i) for each product i by the thread that computed it. */
    static void multiply(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add,
                         IntConsumer after) {
        if (byOneDnn(transA, b, c)) {
            KernelTeam.rest(); // oneDNN brings its own threads
            if (OneDnnGemm.multiply(a, false, b, transB, c, add)) {
                if (after != null) {
                    run((int) c.size(0), c.length(), after);
                }
                return;
            }
        }
        Operands o = new Operands(a, transA, b, transB, c, add);
        IntConsumer part = o.m < FEW_ROWS
                ? i -> {
                    o.product(i);
                    if (after != null) {
                        after.accept(i);
                    }
                }
                : h -> {  // every product that reads b[h]: b packed once
                    Panels p = o.packed(h);
                    for (int i = h; i < o.n; i += o.nb) {
                        o.multiply(p, i);
                        if (after != null) {
                            after.accept(i);
                        }
                    }
                };
        run(o.m < FEW_ROWS ? o.n : o.nb, o.fmas(), part);
    }

    /**
     * Whether a batch goes to oneDNN's brgemm (where the CPU has it: {@link OneDnnGemm}) rather than this kernel:
     * products of at least {@link #FEW_ROWS} rows, one b per product, a not transposed. One thread's oneDNN
     * calls against this kernel on T5-small's attention shapes (64 heads, d_kv 64, 228 keys; µs per batch):
     * scores 2485 vs 2933, P·V 2087 vs 2393, 8 queries 216 vs 349, and the same bits (both sum along k in
     * order); with a transposed (the backward's Pᵀ·dC) 2800 vs 2591, so those stay here.
     */
    static boolean byOneDnn(boolean transA, INDArray b, INDArray c) {
        return OneDnnGemm.available() && !transA && b.size(0) == c.size(0) && c.size(1) >= FEW_ROWS;
    }

    /**
     * c[i] (+)= op(a[i])·op(b[i mod nb]) for a given i, on the calling thread, with its own packing of b: for
     * kernels that chain several products of one head while its operands are in cache.
     */
    static IntConsumer products(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add) {
        return new Operands(a, transA, b, transB, c, add)::product;
    }

    /** part(0..parts-1) over the cores, or on the calling thread when the work (fmas) is too small to share. */
    static void run(int parts, long fmas, IntConsumer part) {
        if (fmas < SERIAL_MAX_FMAS) {
            for (int i = 0; i < parts; i++) {
                part.accept(i);
            }
        } else {
            KernelTeam.run(parts, part);
        }
    }

    /** A batched product's operands, shapes checked: the buffers, byte offsets and sizes of its products. */
    private static final class Operands {
        final ByteBuffer ab;
        final ByteBuffer bb;
        final ByteBuffer cb;
        final int a0;
        final int b0;
        final int c0;
        final boolean transA;
        final boolean transB;
        final boolean add;
        final int n;
        final int nb;
        final int m;
        final int k;
        final int cols;

        Operands(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add) {
            n = (int) c.size(0);
            m = (int) c.size(1);
            cols = (int) c.size(2);
            k = (int) (transA ? a.size(1) : a.size(2));
            long aRows = transA ? a.size(2) : a.size(1);
            long bK = transB ? b.size(2) : b.size(1);
            long bN = transB ? b.size(1) : b.size(2);
            nb = (int) b.size(0);
            if (a.size(0) != n || nb == 0 || n % nb != 0 || aRows != m || bK != k || bN != cols) {
                throw new IllegalArgumentException("batched matmul: a " + java.util.Arrays.toString(a.shape())
                        + (transA ? "ᵀ" : "") + " · b " + java.util.Arrays.toString(b.shape()) + (transB ? "ᵀ" : "")
                        + " does not fit c " + java.util.Arrays.toString(c.shape()));
            }
            ab = HostMemory.bytes(a);
            bb = HostMemory.bytes(b);
            cb = HostMemory.bytes(c);
            a0 = HostMemory.base(a);
            b0 = HostMemory.base(b);
            c0 = HostMemory.base(c);
            this.transA = transA;
            this.transB = transB;
            this.add = add;
        }

        long fmas() {
            return (long) n * m * k * cols;
        }

        /** This thread's panels holding b[h], packed. */
        Panels packed(int h) {
            Panels p = Panels.of(m, k, cols);
            p.packB(bb, b0 + h * k * cols * 4, transB);
            return p;
        }

        /** Product i with b[i mod nb] already in p. */
        void multiply(Panels p, int i) {
            p.multiply(ab, a0 + i * m * k * 4, transA, cb, c0 + i * m * cols * 4, add);
        }

        /** Product i, packing its b unless it has fewer than FEW_ROWS rows. */
        void product(int i) {
            if (m < FEW_ROWS) {
                fewRows(ab, a0 + i * m * k * 4, transA, bb, b0 + (i % nb) * k * cols * 4, transB, cb,
                        c0 + i * m * cols * 4, m, k, cols, add);
            } else {
                multiply(packed(i % nb), i);
            }
        }
    }

    /** One thread's packing panels for [m, k]·[k, cols] products, grown as needed and reused. */
    private static final class Panels {
        float[] bp = new float[0];   // op(b) by column panels [k, 4W] (the last [k, 2W..4W]), zero past cols
        float[] ap = new float[0];   // a as stored: [m, k], or [k, m] when transA, and ROWS rows past it; b's staging
        ByteBuffer stage = ByteBuffer.allocateDirect(0);  // c's staged rows: [m rounded up to ROWS, pad]
        int m;
        int k;
        int cols;
        int pad;                     // the panels' total width

        /** The width of the panel starting at column j: 4W, or the rest of cols in whole vectors (at least 2). */
        static int width(int cols, int j) {
            int vectors = Math.min(PANEL_VECTORS, (cols - j + W - 1) / W);
            return Math.max(2, vectors) * W;
        }

        static Panels of(int m, int k, int cols) {
            Panels p = PANELS.get();
            p.m = m;
            p.k = k;
            p.cols = cols;
            int full = cols / (PANEL_VECTORS * W) * (PANEL_VECTORS * W);
            p.pad = full == cols ? cols : full + width(cols, full);
            // rows m.. of the last block read past a's m rows (their results are dropped): ROWS·k more floats
            int aSize = Math.max((m + ROWS) * k, k * cols);
            if (p.bp.length < k * p.pad) {
                p.bp = new float[k * p.pad];
            }
            if (p.ap.length < aSize) {
                p.ap = new float[aSize];
            }
            if (p.stage.capacity() < 4 * blocks(m) * p.pad) {
                p.stage = ByteBuffer.allocateDirect(4 * blocks(m) * p.pad).order(LE);
            }
            return p;
        }

        /**
         * op(b) at byte offset bAt into bp as column panels: a bulk copy (memcpy speed) into the heap, then for
         * each panel of width bw starting at column j, its [k, bw] rows at bp[j·k ...], zero past cols. A tile
         * then walks its panel with a constant stride, which lets C2 drop the loads' bounds checks (a row-major
         * [k, pad] panel with its variable stride kept them: 127-137 against 180-200 GFLOP/s for one thread).
         */
        void packB(ByteBuffer bb, int bAt, boolean transB) {
            if (!transB && cols == pad && cols <= PANEL_VECTORS * W) {  // one panel, op(b) as stored (P·V, dS·K)
                bb.asFloatBuffer().get(bAt / 4, bp, 0, k * cols);
                return;
            }
            bb.asFloatBuffer().get(bAt / 4, ap, 0, k * cols);
            for (int j = 0; j < pad; j += width(cols, j)) {
                int bw = width(cols, j);
                int panel = j * k;
                int used = Math.min(bw, cols - j);
                if (transB) {
                    // b is [cols, k]: four of its rows at a time, each read along k, so that every kk writes
                    // four adjacent floats of the panel (2.5× faster than 16 rows per kk: 4.7 against 11.7 µs
                    // for a 228×64 b, 38 against 96 µs at k = 512)
                    int jj = 0;
                    for (; jj + 4 <= used; jj += 4) {
                        int src = (j + jj) * k;
                        int dst = panel + jj;
                        for (int kk = 0; kk < k; kk++) {
                            int d = dst + kk * bw;
                            int q = src + kk;
                            bp[d] = ap[q];
                            bp[d + 1] = ap[q + k];
                            bp[d + 2] = ap[q + 2 * k];
                            bp[d + 3] = ap[q + 3 * k];
                        }
                    }
                    for (; jj < used; jj++) {
                        int src = (j + jj) * k;
                        for (int kk = 0; kk < k; kk++) {
                            bp[panel + kk * bw + jj] = ap[src + kk];
                        }
                    }
                } else {
                    for (int kk = 0; kk < k; kk++) {
                        System.arraycopy(ap, kk * cols + j, bp, panel + kk * bw, used);
                    }
                }
                if (used < bw) {
                    for (int kk = 0; kk < k; kk++) {
                        java.util.Arrays.fill(bp, panel + kk * bw + used, panel + kk * bw + bw, 0f);
                    }
                }
            }
        }

        /**
         * c (+)= op(a)·op(b) for the packed b, a and c at the given byte offsets. a is staged whole on the heap
         * (one bulk copy), then each panel of b is multiplied by all row blocks while it is in cache (k·4W
         * floats: 196 KB at k = 768), against 6-row blocks walking every panel 6-8% faster for the attention's
         * products at L = 228. The tiles store their rows straight into c, with c's row pitch: a last panel
         * wider than what is left of cols spills its zero-padded columns into the first columns of the next
         * row, which is why the last panel runs first and the others then overwrite them. Rows that cannot go
         * straight to c are staged (pitch pad) and copied, or added, at the end: all rows when c is accumulated
         * into, and the last row block, which would spill past the product or has rows past m (its tiles run
         * in full over whatever floats lie past a's rows in ap; rows are independent, and those are dropped).
         * Storing into c instead of a zeroed heap copy written back row by row: T5-small's Q·Kᵀ products
         * 61 → 51 µs, P·V 50 → 45 µs on one thread over 64 heads.
         */
        void multiply(ByteBuffer ab, int aAt, boolean transA, ByteBuffer cb, int cAt, boolean add) {
            ab.asFloatBuffer().get(aAt / 4, ap, 0, m * k);
            int direct = add ? 0 : directRows();
            int rs = transA ? 1 : k;  // a(r, kk) = ap[r·rs + kk·ks]
            int ks = transA ? m : 1;
            for (int j = (pad - 1) / (PANEL_VECTORS * W) * (PANEL_VECTORS * W); j >= 0; j -= PANEL_VECTORS * W) {
                int vectors = width(cols, j) / W;
                for (int r = 0; r < m; r += ROWS) {
                    ByteBuffer out = r < direct ? cb : stage;
                    int o = r < direct ? cAt / 4 + r * cols + j : (r - direct) * pad + j;
                    int pitch = r < direct ? cols : pad;
                    if (vectors == 4) {
                        MatmulTiles.tile6x4(ap, r * rs, rs, ks, bp, j * k, k, out, o, pitch);
                    } else if (vectors == 3) {
                        MatmulTiles.tile6x3(ap, r * rs, rs, ks, bp, j * k, k, out, o, pitch);
                    } else {
                        MatmulTiles.tile6x2(ap, r * rs, rs, ks, bp, j * k, k, out, o, pitch);
                    }
                }
            }
            for (int i = direct; i < m; i++) {
                int to = cAt + 4 * i * cols;
                int from = 4 * (i - direct) * pad;
                if (add) {
                    RowKernels.addRange(cb, to, stage, from, cb, to, cols);
                } else {
                    cb.put(to, stage, from, 4 * cols);
                }
            }
        }

        /**
         * The rows [0, d) whose tiles store straight into c: whole row blocks whose last panel's spill (pad − cols
         * floats past each row, into the rows after it, which later tiles or the staged rows overwrite) stays
         * inside the product: (d − 1)·cols + pad ≤ m·cols.
         */
        int directRows() {
            int spill = pad - cols;
            return Math.max(0, m - (spill + cols - 1) / cols) / ROWS * ROWS;
        }

        /** m rounded up to whole tiles of ROWS rows. */
        static int blocks(int m) {
            return (m + ROWS - 1) / ROWS * ROWS;
        }
    }

    /**
     * A product with fewer than FEW_ROWS rows (decoding: one query per head) straight from the buffers, without
     * packing: rows of c as sums of rows of b, or, for a transposed b, as dot products with its rows.
     */
    private static void fewRows(ByteBuffer ab, int aAt, boolean transA, ByteBuffer bb, int bAt, boolean transB,
                                ByteBuffer cb, int cAt, int m, int k, int cols, boolean add) {
        float[] lanes = new float[W];
        float[] dots = new float[4];
        for (int r = 0; r < m; r++) {
            int cRow = cAt + 4 * r * cols;
            if (transB) {
                int j = 0;
                if (!transA) {
                    // four rows of b per pass over a's row: each load of a serves four dot products, each summed
                    // in the one-row order below, so the same bits (decoding's q·Kᵀ over 8 heads × 128 keys of 64:
                    // 18 against 11.5 µs per call)
                    for (; j + 4 <= cols; j += 4) {
                        fourDots(ab, aAt + 4 * r * k, bb, bAt + 4 * j * k, k, lanes, dots);
                        for (int i = 0; i < 4; i++) {
                            int at = cRow + 4 * (j + i);
                            cb.putFloat(at, add ? cb.getFloat(at) + dots[i] : dots[i]);
                        }
                    }
                }
                for (; j < cols; j++) {
                    int bRow = bAt + 4 * j * k;
                    FloatVector acc = FloatVector.zero(S);
                    int kk = 0;
                    if (!transA) {
                        for (; kk <= k - W; kk += W) {
                            acc = FloatVector.fromByteBuffer(S, ab, aAt + 4 * (r * k + kk), LE)
                                    .fma(FloatVector.fromByteBuffer(S, bb, bRow + 4 * kk, LE), acc);
                        }
                    }
                    acc.intoArray(lanes, 0);
                    float sum = VectorMath.sum(lanes);
                    for (; kk < k; kk++) {
                        sum += ab.getFloat(aAt + 4 * (transA ? kk * m + r : r * k + kk)) * bb.getFloat(bRow + 4 * kk);
                    }
                    cb.putFloat(cRow + 4 * j, add ? cb.getFloat(cRow + 4 * j) + sum : sum);
                }
            } else {
                int j = 0;
                // four column vectors at once: one pass down b's rows (sequential, as the prefetcher likes it),
                // four independent chains; each output still sums over kk in order, so the same bits
                for (; j <= cols - 4 * W; j += 4 * W) {
                    FloatVector acc0 = FloatVector.zero(S);
                    FloatVector acc1 = acc0;
                    FloatVector acc2 = acc0;
                    FloatVector acc3 = acc0;
                    for (int kk = 0; kk < k; kk++) {
                        FloatVector x = FloatVector.broadcast(S, ab.getFloat(aAt + 4 * (transA ? kk * m + r : r * k + kk)));
                        int bRow = bAt + 4 * (kk * cols + j);
                        acc0 = FloatVector.fromByteBuffer(S, bb, bRow, LE).fma(x, acc0);
                        acc1 = FloatVector.fromByteBuffer(S, bb, bRow + 4 * W, LE).fma(x, acc1);
                        acc2 = FloatVector.fromByteBuffer(S, bb, bRow + 8 * W, LE).fma(x, acc2);
                        acc3 = FloatVector.fromByteBuffer(S, bb, bRow + 12 * W, LE).fma(x, acc3);
                    }
                    if (add) {
                        acc0 = acc0.add(FloatVector.fromByteBuffer(S, cb, cRow + 4 * j, LE));
                        acc1 = acc1.add(FloatVector.fromByteBuffer(S, cb, cRow + 4 * (j + W), LE));
                        acc2 = acc2.add(FloatVector.fromByteBuffer(S, cb, cRow + 4 * (j + 2 * W), LE));
                        acc3 = acc3.add(FloatVector.fromByteBuffer(S, cb, cRow + 4 * (j + 3 * W), LE));
                    }
                    acc0.intoByteBuffer(cb, cRow + 4 * j, LE);
                    acc1.intoByteBuffer(cb, cRow + 4 * (j + W), LE);
                    acc2.intoByteBuffer(cb, cRow + 4 * (j + 2 * W), LE);
                    acc3.intoByteBuffer(cb, cRow + 4 * (j + 3 * W), LE);
                }
                for (; j <= cols - W; j += W) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int kk = 0; kk < k; kk++) {
                        float x = ab.getFloat(aAt + 4 * (transA ? kk * m + r : r * k + kk));
                        acc = FloatVector.fromByteBuffer(S, bb, bAt + 4 * (kk * cols + j), LE).fma(FloatVector.broadcast(S, x), acc);
                    }
                    if (add) {
                        acc = acc.add(FloatVector.fromByteBuffer(S, cb, cRow + 4 * j, LE));
                    }
                    acc.intoByteBuffer(cb, cRow + 4 * j, LE);
                }
                for (; j < cols; j++) {
                    float sum = 0f;
                    for (int kk = 0; kk < k; kk++) {
                        sum += ab.getFloat(aAt + 4 * (transA ? kk * m + r : r * k + kk)) * bb.getFloat(bAt + 4 * (kk * cols + j));
                    }
                    cb.putFloat(cRow + 4 * j, add ? cb.getFloat(cRow + 4 * j) + sum : sum);
                }
            }
        }
    }

    /**
     * The four dot products of a's row at byte aAt with b's rows at byte bAt (k floats each, one after another),
     * into out[0..3]: a vector FMA chain along k, its lanes summed in order, then the tail — the order of one
     * row at a time in {@link #fewRows}.
     */
    private static void fourDots(ByteBuffer ab, int aAt, ByteBuffer bb, int bAt, int k, float[] lanes, float[] out) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int row = 4 * k;
        int kk = 0;
        for (; kk <= k - W; kk += W) {
            FloatVector x = FloatVector.fromByteBuffer(S, ab, aAt + 4 * kk, LE);
            acc0 = x.fma(FloatVector.fromByteBuffer(S, bb, bAt + 4 * kk, LE), acc0);
            acc1 = x.fma(FloatVector.fromByteBuffer(S, bb, bAt + row + 4 * kk, LE), acc1);
            acc2 = x.fma(FloatVector.fromByteBuffer(S, bb, bAt + 2 * row + 4 * kk, LE), acc2);
            acc3 = x.fma(FloatVector.fromByteBuffer(S, bb, bAt + 3 * row + 4 * kk, LE), acc3);
        }
        acc0.intoArray(lanes, 0);
        out[0] = VectorMath.sum(lanes);
        acc1.intoArray(lanes, 0);
        out[1] = VectorMath.sum(lanes);
        acc2.intoArray(lanes, 0);
        out[2] = VectorMath.sum(lanes);
        acc3.intoArray(lanes, 0);
        out[3] = VectorMath.sum(lanes);
        for (int i = 0; i < 4; i++) {
            float sum = out[i];
            for (int t = kk; t < k; t++) {
                sum += ab.getFloat(aAt + 4 * t) * bb.getFloat(bAt + i * row + 4 * t);
            }
            out[i] = sum;
        }
    }
}
