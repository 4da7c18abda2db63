package dev.t5pt.kernels;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VectorMath's exp and tanh: every lane equal, bit for bit, to the scalar twin (kernels run the vector body and
 * the scalar tail on neighbouring elements, and resumed training needs the same bits however the JVM runs the
 * code), over random floats of every magnitude and the edges of the kept range; and exp within 2 ulp of the
 * true value where the result is a normal float.
 */
class VectorMathTest {
    private static final int W = VectorMath.S.length();

    /** Inputs: the range edges, specials, random bit patterns, and the ranges the kernels see. */
    private static float[] inputs() {
        float[] edges = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
                -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 88.3762626647949f, Math.nextUp(88.3762626647949f),
                Math.nextDown(88.3762626647949f), -87.3365447504f, Math.nextUp(-87.3365447504f),
                Math.nextDown(-87.3365447504f), 88.72f, 89f, -88f, -103f, -1e30f, 1e30f, 0.5f, -0.5f, 1f, -1f};
        Random r = new Random(7);
        float[] x = new float[64 * 1024];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> edges[r.nextInt(edges.length)];
                case 1 -> Float.intBitsToFloat(r.nextInt());
                case 2 -> (r.nextFloat() - 0.5f) * 200;   // across both ends of the kept range
                default -> -r.nextFloat() * 30;           // softmax's s − max
            };
        }
        return x;
    }

    @Test
    void vectorExpAndTanhAreTheirScalarTwinsBitForBit() {
        float[] x = inputs();
        for (int i = 0; i + W <= x.length; i += W) {
            FloatVector v = FloatVector.fromArray(VectorMath.S, x, i);
            float[] e = VectorMath.exp(v).toArray();
            float[] t = VectorMath.tanh(v).toArray();
            for (int l = 0; l < W; l++) {
                float xi = x[i + l];
                assertEquals(Float.floatToIntBits(VectorMath.exp(xi)), Float.floatToIntBits(e[l]), "exp(" + xi + ")");
                assertEquals(Float.floatToIntBits(VectorMath.tanh(xi)), Float.floatToIntBits(t[l]), "tanh(" + xi + ")");
            }
        }
    }

    @Test
    void expIsWithinTwoUlpWhereTheResultIsNormal() {
        for (float xi : inputs()) {
            float e = VectorMath.exp(xi);
            if (Float.isNaN(xi)) {
                assertTrue(Float.isNaN(e), "exp(NaN)");
            } else if (xi < -87.3365447504f) {
                assertEquals(0f, e, "exp(" + xi + ") underflows to 0");
            } else if (xi > 88.3762626647949f) {
                assertEquals(Float.POSITIVE_INFINITY, e, "exp(" + xi + ") overflows");
            } else {
                double exact = Math.exp(xi);
                if (exact >= Float.MIN_NORMAL) {
                    assertTrue(Math.abs(e - exact) <= 2 * Math.ulp((float) exact), "exp(" + xi + ") = " + e + ", exact " + exact);
                }
            }
        }
    }
}
