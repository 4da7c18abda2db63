package dev.t5pt.weights;

/**
 * Where element (o, j) of an int8 matrix [rows, cols] lives in its byte array: rows in groups of {@link #GROUP}
 * (the last group may be shorter), each group's bytes contiguous (group g starts at g·GROUP·cols), and inside a
 * group the rows interleaved in blocks of {@link #BLOCK} columns — block b of the group's row r at
 * b·BLOCK·n + r·BLOCK (n the group's rows) — followed by each row's last cols mod BLOCK values, row after row.
 *
 * <p>Why: decoding multiplies one x by all rows, GROUP rows per pass over x; row-major, that pass reads GROUP
 * separate streams of cols bytes, too short for the hardware prefetcher; in this layout it reads one stream.
 * T5-small shapes, two cores of machine C (benchmarks/SPEED_LOG.md, fifteenth session), weights out of cache,
 * G multiply-adds/s row-major → interleaved: 2048×512 27-28 → 39, 512×2048 17 → 39, 32128×512 34 → 44. Each
 * row's values are still multiplied in column order, so every row's result is what it was.
 *
 * <p>Groups are contiguous in row order, so rows [8k, 8m) of a matrix are bytes [8k·cols, 8m·cols) of it, the
 * same bytes a matrix of just those rows would hold (what {@link Frozen#concatRows} copies whole).
 */
public final class Int8Layout {
    private Int8Layout() {
    }

    /** Rows per group. */
    public static final int GROUP = 8;

    /** Columns per block (a multiple of every float vector length in use: 4, 8 or 16 lanes). */
    public static final int BLOCK = 16;

    /** Offset of element (o, j) of a [rows, cols] matrix. */
    public static int offset(int o, int j, int rows, int cols) {
        int g0 = o - o % GROUP;
        int n = groupRows(o, rows);
        int r = o - g0;
        int full = cols - cols % BLOCK;
        int base = g0 * cols;
        return j < full
                ? base + (j / BLOCK) * BLOCK * n + r * BLOCK + j % BLOCK
                : base + full * n + r * (cols - full) + (j - full);
    }

    /** Row o of the matrix in q into dst[at, at + cols), in column order. */
    public static void getRow(byte[] q, int rows, int cols, int o, byte[] dst, int at) {
        int full = cols - cols % BLOCK;
        int stride = blockStride(o, rows);
        int src = offset(o, 0, rows, cols);
        for (int j = 0; j < full; j += BLOCK, src += stride) {
            System.arraycopy(q, src, dst, at + j, BLOCK);
        }
        if (full < cols) {
            System.arraycopy(q, offset(o, full, rows, cols), dst, at + full, cols - full);
        }
    }

    /** Row o of the matrix in q from src[at, at + cols), in column order. */
    public static void putRow(byte[] q, int rows, int cols, int o, byte[] src, int at) {
        int full = cols - cols % BLOCK;
        int stride = blockStride(o, rows);
        int dst = offset(o, 0, rows, cols);
        for (int j = 0; j < full; j += BLOCK, dst += stride) {
            System.arraycopy(src, at + j, q, dst, BLOCK);
        }
        if (full < cols) {
            System.arraycopy(src, at + full, q, offset(o, full, rows, cols), cols - full);
        }
    }

    /**
     * Offset of slot k of row o's exact values in a matrix [rows, ·] with `slots` per row
     * ({@link Frozen.Int8}): groups as above, group g0's slots from g0·slots, slot by slot, the group's n rows
     * contiguous in each (slot k of a whole group's row r at g0·slots + k·GROUP + r).
     */
    public static int exactOffset(int o, int k, int rows, int slots) {
        int g0 = o - o % GROUP;
        return g0 * slots + k * groupRows(o, rows) + (o - g0);
    }

    /** Distance between row o's consecutive blocks: BLOCK times the rows of its group. */
    public static int blockStride(int o, int rows) {
        return BLOCK * groupRows(o, rows);
    }

    /** The rows of row o's group: GROUP, or fewer in a short last group. */
    public static int groupRows(int o, int rows) {
        return Math.min(GROUP, rows - (o - o % GROUP));
    }
}
