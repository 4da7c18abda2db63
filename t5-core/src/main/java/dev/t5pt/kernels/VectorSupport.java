package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import dev.t5pt.model.Dropout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;


/**
 * The Vector API kernels' shared pieces: the float and long species, byte order, the split of a loop over
 * the kernel team ({@link #parallel}), the fixed-order dot product.
 */
final class VectorSupport {
    private VectorSupport() {
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static final ByteOrder LE = ByteOrder.nativeOrder();

    static final int W = S.length();

    /** Dropout's hash: 64-bit lanes, the only LongVector species used. */
    static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    static final long[] IOTA = java.util.stream.LongStream.range(0, L.length()).toArray();

    static final int PARALLELISM = Runtime.getRuntime().availableProcessors();

    /** Work (floats touched) below which a kernel runs on the calling thread: a hand-off costs ~10-20 µs. */
    static final long PARALLEL_MIN_WORK = 1 << 16;

    /** A contiguous range [from, to) of a kernel's rows or elements. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /**
     * Runs body over [0, n) as one contiguous range per core (inner boundaries multiples of align) when the
     * work, n × cost floats, pays for the hand-off; else on the calling thread. Every row or element is
     * computed by one thread in the same order either way, so results do not depend on the split.
     */
    static void parallel(int n, int align, long cost, Range body) {
        int parts = (long) n * cost >= PARALLEL_MIN_WORK ? Math.min(PARALLELISM, n / align) : 1;
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        int units = n / align;
        KernelTeam.run(parts, p -> body.run(
                (int) ((long) units * p / parts) * align,
                p == parts - 1 ? n : (int) ((long) units * (p + 1) / parts) * align));
    }

    private static final ThreadLocal<float[][]> HEAP_ROWS = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * n floats from byte at of b, copied into this thread's scratch array (grown as needed, reused): on JDK 17 the
     * Vector API loads from a Java array at ~2.4× the rate it loads from native memory, so a kernel that reads
     * a few rows of x many times (once per group of weight rows) reads them from the copy.
     */
    static float[] onHeap(ByteBuffer b, int at, int n) {
        float[][] holder = HEAP_ROWS.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        float[] x = holder[0];
        int j = 0;
        for (; j <= n - W; j += W) {
            FloatVector.fromByteBuffer(S, b, at + j * 4, LE).intoArray(x, j);
        }
        for (; j < n; j++) {
            x[j] = b.getFloat(at + j * 4);
        }
        return x;
    }

    /**
     * The few-row products' order ("pair order", float32 and bfloat16 weights alike): over each block of 2W values,
     * lane l of one accumulator takes value 2l, then value 2l + 1; then the lanes are summed ({@link VectorMath#sum})
     * and the last n mod 2W values added in order. It is the order in which a bfloat16 kernel gets its values
     * without a widening shuffle — a 2W-value load holds W ints whose low halves are the even values and high
     * halves the odd ones — and a float32 kernel, which must sum in the same order for a bfloat16 matrix to give
     * the bits of its float32 upcast, rearranges its two loads instead (it waits on memory anyway: 26.4-28.5 GB/s
     * against 27.4-29.3 in the natural order, machine C). x comes permuted to match, from {@link #onHeapPairs}.
     */
    static float dotPairs(ByteBuffer w, int wt, float[] xp, int xt, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - 2 * W; j += 2 * W) {
            FloatVector a = FloatVector.fromByteBuffer(S, w, wt + j * 4, LE);
            FloatVector b = FloatVector.fromByteBuffer(S, w, wt + (j + W) * 4, LE);
            acc = a.rearrange(EVENS).blend(b.rearrange(EVENS), HIGH_HALF).fma(FloatVector.fromArray(S, xp, xt + j), acc);
            acc = a.rearrange(ODDS).blend(b.rearrange(ODDS), HIGH_HALF).fma(FloatVector.fromArray(S, xp, xt + j + W), acc);
        }
        acc.intoArray(lanes, 0);
        float s = VectorMath.sum(lanes);
        for (; j < n; j++) {
            s += w.getFloat(wt + j * 4) * xp[xt + j];
        }
        return s;
    }

    /** Lane l ← lane 2l mod W / 2l + 1 mod W (a vector's even / odd values, twice), and the mask of lanes ≥ W/2. */
    private static final VectorShuffle<Float> EVENS = VectorShuffle.fromOp(S, l -> (2 * l) % W);
    private static final VectorShuffle<Float> ODDS = VectorShuffle.fromOp(S, l -> (2 * l + 1) % W);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, -1L << (W / 2));

    private static final ThreadLocal<float[][]> HEAP_PAIRS = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * rows rows of n floats from byte at of b, each permuted into {@link #dotPairs}'s order (in each block of 2W,
     * the even values, then the odd ones, as dotPairs rearranges its weights; the tail as it is), in this thread's
     * scratch array (reused): made once per product by the calling thread, read by every part.
     */
    static float[] onHeapPairs(ByteBuffer b, int at, int rows, int n) {
        float[][] holder = HEAP_PAIRS.get();
        if (holder[0].length < rows * n) {
            holder[0] = new float[rows * n];
        }
        float[] x = holder[0];
        for (int r = 0; r < rows; r++) {
            int src = at + r * n * 4;
            int dst = r * n;
            int j = 0;
            for (; j <= n - 2 * W; j += 2 * W) {
                FloatVector a = FloatVector.fromByteBuffer(S, b, src + j * 4, LE);
                FloatVector c = FloatVector.fromByteBuffer(S, b, src + (j + W) * 4, LE);
                a.rearrange(EVENS).blend(c.rearrange(EVENS), HIGH_HALF).intoArray(x, dst + j);
                a.rearrange(ODDS).blend(c.rearrange(ODDS), HIGH_HALF).intoArray(x, dst + j + W);
            }
            for (; j < n; j++) {
                x[dst + j] = b.getFloat(src + j * 4);
            }
        }
        return x;
    }

    /** Σ a[i]·b[i] over n floats, in a fixed order (lanes, then the tail); lanes: W floats of scratch. */
    static float dot(ByteBuffer a, int at, ByteBuffer b, int bt, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - W; j += W) {
            acc = FloatVector.fromByteBuffer(S, a, at + j * 4, LE).fma(FloatVector.fromByteBuffer(S, b, bt + j * 4, LE), acc);
        }
        acc.intoArray(lanes, 0);
        float s = VectorMath.sum(lanes);
        for (; j < n; j++) {
            s += a.getFloat(at + j * 4) * b.getFloat(bt + j * 4);
        }
        return s;
    }
}
