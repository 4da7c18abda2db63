package dev.t5pt.weights;

import dev.t5pt.io.HalfFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A frozen weight matrix W [rows, cols] (HF's [out, in]) as held in memory: float32 ({@link F32}), bfloat16
 * ({@link Bf16}, which may be a memory-mapped slice of a safetensors file) or int8 with a float32 scale per row
 * ({@link Int8}: w[o, i] ≈ scale[o]·q[o, i], q in [−127, 127]). Read-only and shared by every thread.
 * The kernels read the compact forms directly ({@code Kernels.matVec}) or upcast rows of them into float32
 * scratch ({@code Kernels.upcast}); a bfloat16 matrix upcasts exactly, so it computes what its float32 copy does.
 */
public sealed interface Frozen permits Frozen.F32, Frozen.Bf16, Frozen.Int8 {

    int rows();

    int cols();

    WeightFormat format();

    /** Rows [from, to) as a matrix of the same kind (a view: no copy). */
    Frozen rows(int from, int to);

    /** Bytes held (the int8 scales included). */
    long heldBytes();

    /** Frees the memory now rather than when the collector finds it (for parts copied elsewhere; never a view). */
    void release();

    /**
     * W in float32 held as an ND4J array (FLOAT, 'c'; DOUBLE only for the gradient checks, which run the whole
     * model in double precision with the ND4J kernels).
     */
    record F32(INDArray array /* [rows, cols] */) implements Frozen {
        public F32 {
            if (array.rank() != 2 || !(array.dataType() == DataType.FLOAT || array.dataType() == DataType.DOUBLE)) {
                throw new IllegalArgumentException("expected a FLOAT matrix, found " + array.dataType() + " "
                        + Arrays.toString(array.shape()));
            }
        }

        @Override
        public int rows() {
            return (int) array.size(0);
        }

        @Override
        public int cols() {
            return (int) array.size(1);
        }

        @Override
        public WeightFormat format() {
            return WeightFormat.F32;
        }

        @Override
        public F32 rows(int from, int to) {
            if (from == 0 && to == rows()) {
                return this;
            }
            return new F32(array.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()));
        }

        @Override
        public long heldBytes() {
            return array.length() * array.dataType().width();
        }

        @Override
        public void release() {
            array.close();
        }
    }

    /**
     * W in bfloat16: little-endian 16-bit values, row-major from byte 0 of {@code bits}; {@code owner} is what keeps
     * their memory alive (a file mapping or native memory of t5pt's own).
     */
    record Bf16(ByteBuffer bits, int rows, int cols, Object owner) implements Frozen {
        public Bf16 {
            if (bits.capacity() < 2L * rows * cols) {
                throw new IllegalArgumentException("bf16 [" + rows + ", " + cols + "]: " + bits.capacity() + " bytes");
            }
            bits = bits.order(ByteOrder.LITTLE_ENDIAN);
        }

        /** The bfloat16 rounding (nearest even) of a float32 matrix, in new native memory. */
        public static Bf16 of(INDArray w /* [rows, cols] FLOAT */) {
            return of((int) w.size(0), (int) w.size(1), from -> w);
        }

        /** The bfloat16 rounding of a matrix given as float32 row slices (see {@link Frozen#of(WeightFormat, int, int, Slices)}). */
        static Bf16 of(int rows, int cols, Slices slices) {
            OffHeap mem = OffHeap.allocate(2L * rows * cols);
            ByteBuffer dst = mem.bytes();
            for (int from = 0, n; from < rows; from += n) {
                int base = from * cols;
                INDArray slice = slices.rows(from);
                n = (int) slice.size(0);
                ByteBuffer src = floats(slice);
                eachRow(n, o -> {
                    for (int i = o * cols, end = i + cols; i < end; i++) {
                        dst.putShort(2 * (base + i), HalfFloats.floatToBf16(src.getFloat(4 * i)));
                    }
                });
            }
            return new Bf16(mem.bytes(), rows, cols, mem);
        }

        @Override
        public WeightFormat format() {
            return WeightFormat.BF16;
        }

        @Override
        public Bf16 rows(int from, int to) {
            return new Bf16(bits.slice(2 * from * cols, 2 * (to - from) * cols), to - from, cols, this);
        }

        @Override
        public long heldBytes() {
            return 2L * rows * cols;
        }

        @Override
        public void release() {
            OffHeap.release(owner);
        }
    }

    /**
     * W as int8 rows times scale[firstRow + o], plus a few exact values per row: row o is row g = firstRow + o of
     * the matrix [qRows, cols] that q holds in {@link Int8Layout} (groups of rows interleaved in blocks), times
     * scale[g], except at the row's {@link #exactPerRow()} largest-magnitude weights, held exactly in float32 at
     * exactCol / exactValue[e], e = {@link Int8Layout#exactOffset} of slot k of row g (q is 0 there):
     * w[g, i] ≈ scale[g]·q[g, i] + Σₖ exactValue[e]·[exactCol[e] = i]. Like q, they are held group by group,
     * slot by slot inside a group, so that decoding reads them as two streams.
     *
     * <p>Why the exact values (the dense-and-sparse split of SqueezeLLM and SpQR): a row's scale is set by its
     * largest weight, so taking its few largest out of the grid makes the grid finer for all the others. The
     * loader gives the blocks' matrices {@link #EXACT_PER_ROW} per row and the LM head none
     * ({@code ModelLoader.exactPerRow}); the fixtures' int8 logits are then within 1.0% / 3.5% / 2.2% of float32
     * (tiny-v1_0 / tiny-v1_1 / tiny-lm-adapt-prompt; plain per-row 1.4% / 5.7% / 4.3%), and over 30 models redrawn
     * with each random fixture's config and statistics the median falls from 5.7% to 3.6% (tiny-v1_1's) and 4.7%
     * to 3.2% (benchmarks/SPEED_LOG.md, eighteenth session). The cost: 8 bytes per exact value (T5-XXL: ~90 MB on
     * 11 GB), and one multiply-add per exact value when decoding.
     * <p>On the Java heap: on JDK 17 the Vector API reads a byte[] faster than native memory
     * (benchmarks/SPEED_LOG.md, eleventh session), and int8 is made at load anyway (never mapped from a file). A
     * JVM holding an int8 model needs a heap of its size (the launcher sizes it).
     */
    record Int8(byte[] q, float[] scale, int[] exactCol, float[] exactValue, int firstRow, int rows, int cols)
            implements Frozen {

        /** Exact values per row of the matrices {@link #of} makes. */
        public static final int EXACT_PER_ROW = 5;

        public Int8 {
            if (cols <= 0 || q.length % cols != 0 || firstRow + (long) rows > q.length / cols
                    || scale.length != q.length / cols || exactCol.length != exactValue.length
                    || exactCol.length % Math.max(1, scale.length) != 0) {
                throw new IllegalArgumentException("int8 rows [" + firstRow + ", " + (firstRow + rows) + ") of "
                        + cols + " columns: " + q.length + " bytes, " + scale.length + " scales, "
                        + exactCol.length + " / " + exactValue.length + " exact columns / values");
            }
        }

        /**
         * Symmetric per-row quantization of a float32 matrix, {@link #EXACT_PER_ROW} exact values per row: see
         * {@link #of(INDArray, int)}.
         */
        public static Int8 of(INDArray w /* [rows, cols] FLOAT */) {
            return of(w, EXACT_PER_ROW);
        }

        /**
         * Symmetric per-row quantization of a float32 matrix with the {@code exact} largest-magnitude weights of
         * each row held exactly (NaN and infinities count as largest; the first of equal ones is taken): scale[o]
         * = max|w[o, i]|/127 over the other weights (1 when they are all 0 or one is not finite), q =
         * round(w/scale) clamped to [−127, 127] there and 0 at the exact ones. A row with fewer columns than
         * exact values fills its spare slots with the value 0 at column 0.
         */
        public static Int8 of(INDArray w /* [rows, cols] FLOAT */, int exact) {
            return of((int) w.size(0), (int) w.size(1), exact, from -> w);
        }

        /** The quantization of a matrix given as float32 row slices (see {@link Frozen#of(WeightFormat, int, int, Slices)}). */
        static Int8 of(int rows, int cols, int exact, Slices slices) {
            if (exact < 0) {
                throw new IllegalArgumentException("expected a count of exact values per row >= 0, found " + exact);
            }
            byte[] q = new byte[Math.multiplyExact(rows, cols)];
            float[] scale = new float[rows];
            int[] exactCol = new int[Math.multiplyExact(rows, exact)];
            float[] exactValue = new float[exactCol.length];
            Int8 m = new Int8(q, scale, exactCol, exactValue, 0, rows, cols);
            for (int from = 0, n; from < rows; from += n) {
                INDArray slice = slices.rows(from);
                n = (int) slice.size(0);
                ByteBuffer src = floats(slice);
                int first = from;
                eachRow(n, r -> m.quantizeRow(src, 4 * r * cols, first + r));
            }
            return m;
        }

        /** Row o of q, scale and the exact values from the float32 row at byte at of src. */
        private void quantizeRow(ByteBuffer src, int at, int o) {
            int k = exactPerRow();
            int[] top = new int[k];                // columns of the k largest, largest first (-1: none yet)
            float[] topKey = new float[k];
            java.util.Arrays.fill(top, -1);
            java.util.Arrays.fill(topKey, -1);
            for (int i = 0; i < cols; i++) {
                float key = magnitude(src.getFloat(at + 4 * i));
                if (k > 0 && key > topKey[k - 1]) {
                    int t = k - 1;
                    for (; t > 0 && key > topKey[t - 1]; t--) {
                        top[t] = top[t - 1];
                        topKey[t] = topKey[t - 1];
                    }
                    top[t] = i;
                    topKey[t] = key;
                }
            }
            byte[] row = new byte[cols];
            float max = 0;
            for (int i = 0; i < cols; i++) {
                if (!isOneOf(i, top)) {
                    max = Math.max(max, magnitude(src.getFloat(at + 4 * i)));
                }
            }
            float s = max == 0 || !Float.isFinite(max) ? 1 : max / 127;
            for (int i = 0; i < cols; i++) {
                if (!isOneOf(i, top)) {
                    row[i] = (byte) Math.max(-127, Math.min(127, Math.round(src.getFloat(at + 4 * i) / s)));
                }
            }
            scale[o] = s;
            for (int t = 0; t < k; t++) {
                int e = exact(o, t);
                exactCol[e] = Math.max(0, top[t]);
                exactValue[e] = top[t] < 0 ? 0 : src.getFloat(at + 4 * top[t]);
            }
            Int8Layout.putRow(q, qRows(), cols, o, row, 0);
        }

        /** |v|, NaN above every number. */
        private static float magnitude(float v) {
            return Float.isNaN(v) ? Float.POSITIVE_INFINITY : Math.abs(v);
        }

        private static boolean isOneOf(int i, int[] cols) {
            for (int c : cols) {
                if (c == i) {
                    return true;
                }
            }
            return false;
        }

        /** Rows in the whole matrix q holds (this one's rows are some of them). */
        public int qRows() {
            return q.length / cols;
        }

        /** Exact values per row. */
        public int exactPerRow() {
            return exactCol.length / Math.max(1, scale.length);
        }

        /** Row o of this matrix into dst[at, at + cols), in column order (the int8 values: 0 at exact ones). */
        public void row(int o, byte[] dst, int at) {
            Int8Layout.getRow(q, qRows(), cols, firstRow + o, dst, at);
        }

        /** The scale of row o of this matrix. */
        public float scale(int o) {
            return scale[firstRow + o];
        }

        /** Where slot k of row o's exact values is in exactCol and exactValue. */
        public int exact(int o, int k) {
            return Int8Layout.exactOffset(firstRow + o, k, qRows(), exactPerRow());
        }

        @Override
        public WeightFormat format() {
            return WeightFormat.INT8;
        }

        @Override
        public Int8 rows(int from, int to) {
            return new Int8(q, scale, exactCol, exactValue, firstRow + from, to - from, cols);
        }

        @Override
        public long heldBytes() {
            return (long) rows * cols + 4L * rows + 8L * rows * exactPerRow();
        }

        @Override
        public void release() {
            // heap memory: the collector frees it
        }
    }

    /** The float32 rows of a matrix being built from row {@code from} on (as many as it gives, ≥ 1); asked in order. */
    @FunctionalInterface
    interface Slices {
        INDArray rows(int from);
    }

    /**
     * A compact matrix [rows, cols] built from float32 row slices, each converted into the matrix as it comes: no
     * float32 copy of the whole matrix is ever made (random weights of T5-XXL).
     */
    static Frozen of(WeightFormat format, int exactPerRow, int rows, int cols, Slices slices) {
        return switch (format) {
            case BF16 -> Bf16.of(rows, cols, slices);
            case INT8 -> Int8.of(rows, cols, exactPerRow, slices);
            default -> throw new IllegalArgumentException("expected a compact format, found " + format);
        };
    }

    /**
     * W in the given format (F32 or a compact one) from a float32 matrix; AS_STORED keeps float32; exactPerRow:
     * exact values per row under INT8 ({@link Int8#of(INDArray, int)}).
     */
    static Frozen of(INDArray w, WeightFormat format, int exactPerRow) {
        return switch (format) {
            case F32, AS_STORED -> new F32(w);
            case BF16 -> Bf16.of(w);
            case INT8 -> Int8.of(w, exactPerRow);
        };
    }

    /** The matrices stacked by rows, in the format of the first (all must share it): one new matrix. */
    static Frozen concatRows(Frozen... parts) {
        int cols = parts[0].cols();
        int rows = 0;
        for (Frozen p : parts) {
            if (p.cols() != cols || p.format() != parts[0].format()) {
                throw new IllegalArgumentException("cannot stack a " + p.format() + " [" + p.rows() + ", " + p.cols()
                        + "] under a " + parts[0].format() + " [.., " + cols + "]");
            }
            rows += p.rows();
        }
        if (parts[0] instanceof F32) {
            return new F32(Nd4j.concat(0, Arrays.stream(parts).map(p -> ((F32) p).array()).toArray(INDArray[]::new)));
        }
        if (parts[0] instanceof Bf16) {
            OffHeap mem = OffHeap.allocate(2L * rows * cols);
            int at = 0;
            for (Frozen p : parts) {
                int n = 2 * p.rows() * cols;
                mem.bytes().put(at, ((Bf16) p).bits(), 0, n);
                at += n;
            }
            return new Bf16(mem.bytes(), rows, cols, mem);
        }
        int exact = ((Int8) parts[0]).exactPerRow();
        byte[] q = new byte[Math.multiplyExact(rows, cols)];
        float[] scale = new float[rows];
        int[] exactCol = new int[Math.multiplyExact(rows, exact)];
        float[] exactValue = new float[exactCol.length];
        int row = 0;
        byte[] values = new byte[cols];
        for (Frozen p : parts) {
            Int8 s = (Int8) p;
            if (s.exactPerRow() != exact) {
                throw new IllegalArgumentException("cannot stack int8 rows with " + s.exactPerRow()
                        + " exact values each under rows with " + exact);
            }
            System.arraycopy(s.scale(), s.firstRow(), scale, row, p.rows());
            for (int o = 0; o < p.rows(); o++) {
                for (int k = 0; k < exact; k++) {
                    int from = s.exact(o, k);
                    int to = Int8Layout.exactOffset(row + o, k, rows, exact);
                    exactCol[to] = s.exactCol()[from];
                    exactValue[to] = s.exactValue()[from];
                }
            }
            boolean sameGroups = row % Int8Layout.GROUP == 0 && s.firstRow() % Int8Layout.GROUP == 0
                    && (s.rows() % Int8Layout.GROUP == 0 || (row + s.rows() == rows && s.firstRow() + s.rows() == s.qRows()));
            if (sameGroups) {                                    // its groups are the result's: one copy
                System.arraycopy(s.q(), s.firstRow() * cols, q, row * cols, p.rows() * cols);
            } else {
                for (int o = 0; o < p.rows(); o++) {
                    s.row(o, values, 0);
                    Int8Layout.putRow(q, rows, cols, row + o, values, 0);
                }
            }
            row += p.rows();
        }
        return new Int8(q, scale, exactCol, exactValue, 0, rows, cols);
    }

    /** The elements of w in row-major order, in native byte order (w itself when it is dense). */
    private static ByteBuffer floats(INDArray w) {
        INDArray d = w.isView() || w.ordering() != 'c' ? w.dup('c') : w;
        return d.data().asNio().order(ByteOrder.nativeOrder());
    }

    /** body(o) for every row o, spread over the cores (load-time work). */
    private static void eachRow(int rows, java.util.function.IntConsumer body) {
        java.util.stream.IntStream.range(0, rows).parallel().forEach(body);
    }
}
