package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, tanh and sums whose results do not depend on how the JVM runs them. The Vector API's own EXP/TANH
 * and reduceLanes(ADD) may round differently when interpreted and when JIT-compiled (and ADD's lane order
 * is unspecified), which made a resumed training run drift from an uninterrupted one in the 5th digit.
 * Here every result is built from add, mul and fma (exactly rounded everywhere), with scalar twins that do
 * the same operations in the same order, so vector bodies and scalar tails agree too.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float MAX_X = 88.3762626647949f;
    private static final float MIN_X = -87.3365447504f; // below: exp underflows to 0 (as float32 exp does)
    private static final float ROUND = 0x1.8p23f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500E-4f;
    private static final float P1 = 1.3981999507E-3f;
    private static final float P2 = 8.3334519073E-3f;
    private static final float P3 = 4.1665795894E-2f;
    private static final float P4 = 1.6666665459E-1f;
    private static final float P5 = 5.0000001201E-1f;

    private VectorMath() {
    }

    /**
     * e^x per lane (Cephes' expf: ~1 ulp), 0 below −87.34, +∞ above 88.38, NaN for NaN. Lanes outside
     * [−87.34, 88.38] compute garbage that the two blends replace, so x is not clamped first: Java's max and min
     * (NaN and −0 rules) cost C2 six instructions each, and without them an exp runs 36% faster (0.97 → 0.62 ns
     * per float on one core, same bits for every input: the scalar twin never clamped either).
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, MIN_X);
        VectorMask<Float> over = x.compare(VectorOperators.GT, MAX_X);
        FloatVector t = x.mul(LOG2E).add(0.5f);
        FloatVector n = t.add(ROUND).sub(ROUND);          // t rounded to an integer (|t| < 2^22 in the lanes kept)
        n = n.sub(1f, n.compare(VectorOperators.GT, t));  // floor(t)
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector y = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
        y = y.fma(r, FloatVector.broadcast(S, P2));
        y = y.fma(r, FloatVector.broadcast(S, P3));
        y = y.fma(r, FloatVector.broadcast(S, P4));
        y = y.fma(r, FloatVector.broadcast(S, P5));
        y = y.fma(r.mul(r), r).add(1f);
        // n as an int without a conversion: the low mantissa bits of n + 1.5·2^23 hold it
        IntVector ni = n.add(ROUND).reinterpretAsInts().sub(ROUND_BITS);
        FloatVector pow2 = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector out = y.mul(pow2);
        out = out.blend(0f, under);
        return out.blend(Float.POSITIVE_INFINITY, over);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        if (x < MIN_X) {
            return 0f;
        }
        if (x > MAX_X) {
            return Float.POSITIVE_INFINITY;
        }
        if (Float.isNaN(x)) {
            return x;
        }
        float t = x * LOG2E + 0.5f;
        float n = (t + ROUND) - ROUND;
        if (n > t) {
            n -= 1f;
        }
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float y = Math.fma(r, P0, P1);
        y = Math.fma(y, r, P2);
        y = Math.fma(y, r, P3);
        y = Math.fma(y, r, P4);
        y = Math.fma(y, r, P5);
        y = Math.fma(y, r * r, r) + 1f;
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /**
     * tanh per lane as (e^{2x} − 1)/(e^{2x} + 1), ±1 beyond |x| = 9 (absolute error ~1e-7). The lanes beyond
     * are blended in afterwards, not clamped first (see {@link #exp(FloatVector)}); the formula gives exactly ±1
     * at ±9, so the results are the scalar twin's, which clamps.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector e = exp(x.add(x));
        FloatVector t = e.sub(1f).div(e.add(1f));
        return t.blend(1f, x.compare(VectorOperators.GT, 9f)).blend(-1f, x.compare(VectorOperators.LT, -9f));
    }

    static float tanh(float x) {
        float c = Math.min(9f, Math.max(-9f, x));
        float e = exp(c + c);
        return (e - 1f) / (e + 1f);
    }

    /**
     * The lanes' sum, added in lane order: {@code v.intoArray(lanes, 0); sum(lanes)} with a scratch array the
     * caller holds for many rows. It takes the lanes, not the vector: a vector passed to a call that C2 does not
     * inline (in a large method it stops inlining at NodeCountInliningCutoff) is boxed on the heap, which cost
     * ~200 MB of garbage per T5-small step.
     */
    static float sum(float[] lanes) {
        float s = 0f;
        for (float v : lanes) {
            s += v;
        }
        return s;
    }
}
