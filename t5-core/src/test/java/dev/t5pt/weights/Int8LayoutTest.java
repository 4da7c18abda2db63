package dev.t5pt.weights;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interleaved int8 layout: a bijection onto [0, rows·cols), groups contiguous, rows read back as written. */
class Int8LayoutTest {
    @Test
    void offsetsAreABijectionWithContiguousGroups() {
        for (int rows : new int[]{1, 7, 8, 9, 16, 61}) {
            for (int cols : new int[]{1, 5, 16, 17, 40, 67}) {
                boolean[] seen = new boolean[rows * cols];
                for (int o = 0; o < rows; o++) {
                    int g0 = o - o % Int8Layout.GROUP;
                    int groupEnd = Math.min(rows, g0 + Int8Layout.GROUP) * cols;
                    for (int j = 0; j < cols; j++) {
                        int at = Int8Layout.offset(o, j, rows, cols);
                        assertTrue(at >= g0 * cols && at < groupEnd, "row " + o + " col " + j + " outside its group");
                        assertTrue(!seen[at], "offset " + at + " twice");
                        seen[at] = true;
                    }
                }
            }
        }
    }

    @Test
    void rowsReadBackAsWritten() {
        java.util.Random r = new java.util.Random(3);
        int rows = 29;
        int cols = 37;
        byte[] q = new byte[rows * cols];
        byte[][] written = new byte[rows][cols];
        for (int o = 0; o < rows; o++) {
            r.nextBytes(written[o]);
            Int8Layout.putRow(q, rows, cols, o, written[o], 0);
        }
        byte[] row = new byte[cols + 3];
        for (int o = 0; o < rows; o++) {
            Int8Layout.getRow(q, rows, cols, o, row, 3);
            assertArrayEquals(written[o], java.util.Arrays.copyOfRange(row, 3, cols + 3));
            for (int j = 0; j < cols; j++) {
                assertEquals(written[o][j], q[Int8Layout.offset(o, j, rows, cols)]);
            }
        }
        // a whole block of a row of a full group sits BLOCK bytes after the previous row's
        assertEquals(Int8Layout.BLOCK, Int8Layout.offset(1, 0, rows, cols) - Int8Layout.offset(0, 0, rows, cols));
        assertEquals(Int8Layout.BLOCK * Int8Layout.GROUP, Int8Layout.blockStride(3, rows));
    }
}
