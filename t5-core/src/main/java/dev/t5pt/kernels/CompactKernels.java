package dev.t5pt.kernels;

import dev.t5pt.io.HalfFloats;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.Int8Layout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;

import static dev.t5pt.kernels.VectorSupport.*;

/**
 * Kernels over compact frozen weights ({@link Frozen.Bf16}, {@link Frozen.Int8}): the few-row product that
 * decoding runs per token, reading 2 or 1 bytes per weight instead of 4, and the upcast of rows into float32
 * (for GEMMs and embedding lookups). The bfloat16 product is {@link RowKernels#matVec}'s with each weight
 * widened in the register (a bfloat16 is the top half of a float32): the same fused multiply-adds in the same
 * order ({@link VectorSupport#dotPairs}'s), so a bfloat16 matrix gives the bits its float32 upcast gives. int8: y[o] = scale[o]·Σ x[i]·q[o, i] + Σₖ
 * (row o's exact values)·x ({@link #exactGroup}).
 * x is read from a heap copy ({@link VectorSupport#onHeap}); each group of bfloat16 rows touches the next
 * group's lines ({@link #touch}), int8 rows are held interleaved so that a group is one stream ({@link Int8Layout}).
 */
final class CompactKernels {
    private CompactKernels() {
    }

    /** As many shorts / ints as S has float lanes. */
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(W * 16));
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    /** As many bytes as S has float lanes (none below 64 bits: int8 then runs scalar). */
    private static final VectorSpecies<Byte> SB = W >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(W * 8)) : null;

    /** W bfloat16 values at byte at of b, widened to float32 (exactly: the 16 bits become the high half). */
    static FloatVector bf16(ByteBuffer b, int at) {
        return ((IntVector) ShortVector.fromByteBuffer(SS, b, at, LE).convertShape(VectorOperators.S2I, SI, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** W int8 values from q[at] as float32. */
    static FloatVector int8(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(SB, q, at).convertShape(VectorOperators.B2F, S, 0);
    }

    /** y = x·Wᵀ for a few rows; x: [N, in], y: [N, out]; W compact [out, in]. */
    static void matVec(INDArray x, Frozen w, INDArray y) {
        int rows = (int) x.size(0);
        int in = w.cols();
        int out = w.rows();
        ByteBuffer xb = HostMemory.bytes(x);
        ByteBuffer yb = HostMemory.bytes(y);
        int x0 = HostMemory.base(x);
        int y0 = HostMemory.base(y);
        int chunks = Math.min(PARALLELISM * 4, Math.max(1, out / 64));
        if (w instanceof Frozen.Bf16 b) {
            ByteBuffer wb = b.bits();
            float[] xs = onHeapPairs(xb, x0, rows, in);                 // [rows, in], pair order; read by all parts
            KernelTeam.run(chunks, c -> {
                float[] lanes = new float[W];
                float[] dots = new float[ROWS];
                int o = range(out, chunks, c);
                int to = range(out, chunks, c + 1);
                int group = ROWS * in * 2;                              // bytes
                int touched = 0;
                int end = to * in * 2;
                for (; o + ROWS <= to; o += ROWS) {
                    int next = o * in * 2 + group;
                    touched += touch(wb, next, Math.min(end, next + group));
                    for (int r = 0; r < rows; r++) {
                        dotBf16Rows(wb, o * in * 2, xs, r * in, in, lanes, dots);
                        for (int i = 0; i < ROWS; i++) {
                            yb.putFloat(y0 + (r * out + o + i) * 4, dots[i]);
                        }
                    }
                }
                TOUCHED[c & (TOUCHED.length - 1)] = touched;
                for (; o < to; o++) {
                    for (int r = 0; r < rows; r++) {
                        yb.putFloat(y0 + (r * out + o) * 4, dotBf16(wb, o * in * 2, xs, r * in, in, lanes));
                    }
                }
            });
        } else if (w instanceof Frozen.Int8 q) {
            byte[] qb = q.q();
            int all = q.qRows();
            int first = q.firstRow();
            float[] xs = onHeap(xb, x0, rows * in);                     // [rows, in]; read by all parts
            int[] ec = q.exactCol();
            float[] ev = q.exactValue();
            int slots = q.exactPerRow();
            KernelTeam.run(chunks, c -> {
                float[] dots = new float[GROUP];
                float[] exact = new float[GROUP];
                int to = groupAligned(out, first, chunks, c + 1);
                for (int o = groupAligned(out, first, chunks, c); o < to; ) {
                    int g = first + o;                                  // the row in q
                    if (g % GROUP == 0 && o + GROUP <= to && g + GROUP <= all) {
                        for (int r = 0; r < rows; r++) {
                            dotInt8Group(xs, r * in, qb, g * in, in, dots);
                            exactGroup(ec, ev, g * slots, slots, xs, r * in, exact);
                            for (int i = 0; i < GROUP; i++) {
                                yb.putFloat(y0 + (r * out + o + i) * 4, q.scale(o + i) * dots[i] + exact[i]);
                            }
                        }
                        o += GROUP;
                    } else {
                        for (int r = 0; r < rows; r++) {
                            float dot = dotInt8(xs, r * in, qb, all, in, g);
                            float exact1 = exactDot(ec, ev, Int8Layout.exactOffset(g, 0, all, slots),
                                    Int8Layout.groupRows(g, all), slots, xs, r * in);
                            yb.putFloat(y0 + (r * out + o) * 4, q.scale(o) * dot + exact1);
                        }
                        o++;
                    }
                }
            });
        } else {
            throw new IllegalArgumentException("expected a compact matrix, found " + w.format());
        }
    }

    /** bfloat16 rows per pass over x: each load of x serves four rows (one accumulator each). */
    static final int ROWS = 4;

    /** int8 rows per pass over x, here and in the 8-bit screen ({@link ScreenedArgmax}): a group of the layout. */
    static final int GROUP = Int8Layout.GROUP;

    /** Whole blocks of the int8 layout load as whole vectors (else the int8 products run scalar). */
    private static final boolean INT8_VECTORS = SB != null && Int8Layout.BLOCK % W == 0;

    /**
     * {@link #dotBf16} of ROWS consecutive rows (n values each, from byte wt) with one x (pair order), into out:
     * each row with its own accumulator, in dotBf16's order, so each value is what dotBf16 gives it alone.
     */
    static void dotBf16Rows(ByteBuffer w, int wt, float[] x, int xt, int n, float[] lanes, float[] out) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int row = n * 2;
        int j = 0;
        for (; j <= n - 2 * W; j += 2 * W) {
            FloatVector xe = FloatVector.fromArray(S, x, xt + j);
            FloatVector xo = FloatVector.fromArray(S, x, xt + j + W);
            IntVector w0 = IntVector.fromByteBuffer(SI, w, wt + j * 2, LE);
            IntVector w1 = IntVector.fromByteBuffer(SI, w, wt + row + j * 2, LE);
            IntVector w2 = IntVector.fromByteBuffer(SI, w, wt + 2 * row + j * 2, LE);
            IntVector w3 = IntVector.fromByteBuffer(SI, w, wt + 3 * row + j * 2, LE);
            acc0 = evens(w0).fma(xe, acc0);
            acc1 = evens(w1).fma(xe, acc1);
            acc2 = evens(w2).fma(xe, acc2);
            acc3 = evens(w3).fma(xe, acc3);
            acc0 = odds(w0).fma(xo, acc0);
            acc1 = odds(w1).fma(xo, acc1);
            acc2 = odds(w2).fma(xo, acc2);
            acc3 = odds(w3).fma(xo, acc3);
        }
        acc0.intoArray(lanes, 0);
        out[0] = VectorMath.sum(lanes);
        acc1.intoArray(lanes, 0);
        out[1] = VectorMath.sum(lanes);
        acc2.intoArray(lanes, 0);
        out[2] = VectorMath.sum(lanes);
        acc3.intoArray(lanes, 0);
        out[3] = VectorMath.sum(lanes);
        for (int i = 0; i < ROWS; i++) {
            float s = out[i];
            for (int t = j; t < n; t++) {
                s += HalfFloats.bf16ToFloat(w.getShort(wt + i * row + t * 2)) * x[xt + t];
            }
            out[i] = s;
        }
    }

    /** The even values (low halves) of 2W bfloat16 values loaded as W ints, widened to float32 exactly. */
    private static FloatVector evens(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The odd values (high halves) of 2W bfloat16 values loaded as W ints, widened to float32 exactly. */
    private static FloatVector odds(IntVector pairs) {
        return pairs.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
    }

    /**
     * Reads one byte of each 64-byte line of bytes [from, to) of b (the next group of bfloat16 rows): with rows of
     * 1-4 KB read as 4 interleaved streams the hardware prefetcher does not start in time, and these loads put the
     * next group's lines in flight while the current one is computed (512×512 matrices cycled out of cache, two
     * cores, G multiply-adds/s: bfloat16 5.8 → 12-13, int8 when it was row-major 10.5 → 18-20). Returns their
     * sum, for {@link #TOUCHED}. (int8 rows are interleaved instead, {@link Int8Layout}: one stream, which the
     * prefetcher follows, and where these loads only got in its way.)
     */
    static int touch(ByteBuffer b, int from, int to) {
        int s = 0;
        for (int t = from; t < to; t += 64) {
            s += b.get(t);
        }
        return s;
    }

    /** Where the touched bytes' sums go, so that the JIT keeps the loads; never read. */
    static final int[] TOUCHED = new int[16];

    private static int range(int n, int parts, int p) {
        return (int) ((long) n * p / parts);
    }

    /** {@link VectorSupport#dotPairs} with a bfloat16 first operand: the same order, the same bits as its upcast. */
    static float dotBf16(ByteBuffer w, int wt, float[] xp, int xt, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - 2 * W; j += 2 * W) {
            IntVector pairs = IntVector.fromByteBuffer(SI, w, wt + j * 2, LE);
            acc = evens(pairs).fma(FloatVector.fromArray(S, xp, xt + j), acc);
            acc = odds(pairs).fma(FloatVector.fromArray(S, xp, xt + j + W), acc);
        }
        acc.intoArray(lanes, 0);
        float s = VectorMath.sum(lanes);
        for (; j < n; j++) {
            s += HalfFloats.bf16ToFloat(w.getShort(wt + j * 2)) * xp[xt + j];
        }
        return s;
    }

    /**
     * Σ x[xt + j]·q[o, j] over row o of the int8 matrix [rows, n] in q ({@link Int8Layout}): its blocks, then its
     * tail (rows outside whole groups: view edges, a short last group).
     */
    static float dotInt8(float[] x, int xt, byte[] q, int rows, int n, int o) {
        int full = n - n % Int8Layout.BLOCK;
        int stride = Int8Layout.blockStride(o, rows);
        int p = Int8Layout.offset(o, 0, rows, n);
        float s = 0;
        int j = 0;
        if (INT8_VECTORS) {
            FloatVector acc = FloatVector.zero(S);
            for (; j < full; j += Int8Layout.BLOCK, p += stride) {
                for (int t = 0; t < Int8Layout.BLOCK; t += W) {
                    acc = int8(q, p + t).fma(FloatVector.fromArray(S, x, xt + j + t), acc);
                }
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            s += x[xt + j] * q[Int8Layout.offset(o, j, rows, n)];
        }
        return s;
    }

    /**
     * x·q for the GROUP rows of a whole group of an int8 matrix with n columns ({@link Int8Layout}), whose bytes
     * start at q[at], into out[0 .. GROUP): each row its own accumulator over the blocks, summed lanes, then its
     * tail. The group's bytes are one stream, read in order; each load of x serves the GROUP rows.
     */
    static void dotInt8Group(float[] x, int xt, byte[] q, int at, int n, float[] out) {
        int full = n - n % Int8Layout.BLOCK;
        int j = 0;
        if (INT8_VECTORS) {
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = acc0;
            FloatVector acc2 = acc0;
            FloatVector acc3 = acc0;
            FloatVector acc4 = acc0;
            FloatVector acc5 = acc0;
            FloatVector acc6 = acc0;
            FloatVector acc7 = acc0;
            final int b = Int8Layout.BLOCK;
            for (int p = at; j < full; j += b, p += GROUP * b) {
                for (int t = 0; t < b; t += W) {
                    FloatVector xv = FloatVector.fromArray(S, x, xt + j + t);
                    acc0 = int8(q, p + t).fma(xv, acc0);
                    acc1 = int8(q, p + b + t).fma(xv, acc1);
                    acc2 = int8(q, p + 2 * b + t).fma(xv, acc2);
                    acc3 = int8(q, p + 3 * b + t).fma(xv, acc3);
                    acc4 = int8(q, p + 4 * b + t).fma(xv, acc4);
                    acc5 = int8(q, p + 5 * b + t).fma(xv, acc5);
                    acc6 = int8(q, p + 6 * b + t).fma(xv, acc6);
                    acc7 = int8(q, p + 7 * b + t).fma(xv, acc7);
                }
            }
            out[0] = acc0.reduceLanes(VectorOperators.ADD);
            out[1] = acc1.reduceLanes(VectorOperators.ADD);
            out[2] = acc2.reduceLanes(VectorOperators.ADD);
            out[3] = acc3.reduceLanes(VectorOperators.ADD);
            out[4] = acc4.reduceLanes(VectorOperators.ADD);
            out[5] = acc5.reduceLanes(VectorOperators.ADD);
            out[6] = acc6.reduceLanes(VectorOperators.ADD);
            out[7] = acc7.reduceLanes(VectorOperators.ADD);
        } else {
            java.util.Arrays.fill(out, 0, GROUP, 0f);
            for (int p = at; j < full; j += Int8Layout.BLOCK, p += GROUP * Int8Layout.BLOCK) {
                for (int i = 0; i < GROUP; i++) {
                    for (int t = 0; t < Int8Layout.BLOCK; t++) {
                        out[i] += x[xt + j + t] * q[p + i * Int8Layout.BLOCK + t];
                    }
                }
            }
        }
        int tail = n - full;
        for (int i = 0, p = at + full * GROUP; i < GROUP; i++, p += tail) {
            float s = out[i];
            for (int t = 0; t < tail; t++) {
                s += x[xt + full + t] * q[p + t];
            }
            out[i] = s;
        }
    }

    /**
     * out[i] = what the exact values of row i of a whole group of an int8 matrix add to x·row: Σₖ v[e]·x[xt + c[e]]
     * at e = at + k·GROUP + i (its {@link Frozen.Int8#exactCol}, {@link Frozen.Int8#exactValue} from the group's
     * first, {@link Int8Layout#exactOffset}; n slots). Slot by slot, the rows in registers: {@link #exactDot}'s
     * order, so its bits.
     */
    static void exactGroup(int[] c, float[] v, int at, int n, float[] x, int xt, float[] out) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;   // GROUP = 8 rows
        for (int k = 0, e = at; k < n; k++, e += GROUP) {
            s0 = Math.fma(v[e], x[xt + c[e]], s0);
            s1 = Math.fma(v[e + 1], x[xt + c[e + 1]], s1);
            s2 = Math.fma(v[e + 2], x[xt + c[e + 2]], s2);
            s3 = Math.fma(v[e + 3], x[xt + c[e + 3]], s3);
            s4 = Math.fma(v[e + 4], x[xt + c[e + 4]], s4);
            s5 = Math.fma(v[e + 5], x[xt + c[e + 5]], s5);
            s6 = Math.fma(v[e + 6], x[xt + c[e + 6]], s6);
            s7 = Math.fma(v[e + 7], x[xt + c[e + 7]], s7);
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
        out[4] = s4;
        out[5] = s5;
        out[6] = s6;
        out[7] = s7;
    }

    /** {@link #exactGroup}'s sum for one row whose slot k is at e = at + k·stride: k in order, fused multiply-adds. */
    static float exactDot(int[] c, float[] v, int at, int stride, int n, float[] x, int xt) {
        float s = 0;
        for (int k = 0, e = at; k < n; k++, e += stride) {
            s = Math.fma(v[e], x[xt + c[e]], s);
        }
        return s;
    }

    /**
     * Part c's start (c = parts: the end) of a split of rows [0, n) of an int8 matrix whose row 0 is row first of
     * its array: inner boundaries on the array's groups, so that no part cuts a group.
     */
    private static int groupAligned(int n, int first, int parts, int c) {
        if (c == 0 || c == parts) {
            return c == 0 ? 0 : n;
        }
        int g = first + range(n, parts, c);
        return Math.max(0, Math.min(n, g - g % GROUP - first));
    }

    /** dst rows dstRow.. = W rows [from, to) in float32; dst: [*, cols] FLOAT. */
    static void upcast(Frozen w, int from, int to, INDArray dst, long dstRow) {
        int cols = w.cols();
        ByteBuffer db = HostMemory.bytes(dst);
        int d0 = HostMemory.base(dst) + (int) (dstRow * cols * 4);
        if (w instanceof Frozen.Bf16 b) {
            ByteBuffer wb = b.bits();
            parallel(to - from, 1, cols, (f, t) -> {
                for (int o = from + f; o < from + t; o++) {
                    int src = o * cols * 2;
                    int out = d0 + (o - from) * cols * 4;
                    int j = 0;
                    for (; j <= cols - W; j += W) {
                        bf16(wb, src + j * 2).intoByteBuffer(db, out + j * 4, LE);
                    }
                    for (; j < cols; j++) {
                        db.putFloat(out + j * 4, HalfFloats.bf16ToFloat(wb.getShort(src + j * 2)));
                    }
                }
            });
        } else if (w instanceof Frozen.Int8 q) {
            byte[] qb = q.q();
            int all = q.qRows();
            int full = cols - cols % Int8Layout.BLOCK;
            int[] ec = q.exactCol();
            float[] ev = q.exactValue();
            int slots = q.exactPerRow();
            parallel(to - from, 1, cols, (f, t) -> {
                for (int o = from + f; o < from + t; o++) {
                    float s = q.scale(o);
                    int g = q.firstRow() + o;                           // the row in q
                    int stride = Int8Layout.blockStride(g, all);
                    int src = Int8Layout.offset(g, 0, all, cols);
                    int out = d0 + (o - from) * cols * 4;
                    int j = 0;
                    for (; INT8_VECTORS && j < full; j += Int8Layout.BLOCK, src += stride) {
                        for (int u = 0; u < Int8Layout.BLOCK; u += W) {
                            int8(qb, src + u).mul(s).intoByteBuffer(db, out + (j + u) * 4, LE);
                        }
                    }
                    for (; j < cols; j++) {
                        db.putFloat(out + j * 4, qb[Int8Layout.offset(g, j, all, cols)] * s);
                    }
                    for (int k = 0; k < slots; k++) {                  // q is 0 there: the sum is the value
                        int e = Int8Layout.exactOffset(g, k, all, slots);
                        int at = out + ec[e] * 4;
                        db.putFloat(at, db.getFloat(at) + ev[e]);
                    }
                }
            });
        } else {
            throw new IllegalArgumentException("expected a compact matrix, found " + w.format());
        }
    }
}
