package dev.t5pt.tune;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Adafactor against its formulas on numbers small enough to check by hand. */
class AdafactorTest {
    @Test
    void firstStepNormalisesTheGradientAndClipsByRms() {
        // step 1: beta2 = 1 − 1^−0.8 = 0, so the moments are this gradient's: g² means per row and column.
        // g = [[1, 2], [3, 4]] (ε₁ negligible): row means r = [2.5, 12.5], col means c = [5, 10], mean(r) = 7.5
        // u_ij = g_ij / sqrt(r_i / mean(r) · c_j):
        //   u00 = 1 / sqrt(2.5/7.5 · 5) = 0.7745967, u01 = 2 / sqrt(2.5/7.5 · 10) = 1.0954451
        //   u10 = 3 / sqrt(12.5/7.5 · 5) = 1.0392305, u11 = 4 / sqrt(12.5/7.5 · 10) = 0.9797959
        // RMS(u) = 0.9797959 < 1: no clipping. param −= 0.3·u + 1e-5·param
        Adafactor a = new Adafactor(0.8, 1e-30, 1.0, 1e-5);
        float[] p = {1, 1, 1, 1};
        a.step(p, new float[]{1, 2, 3, 4}, 2, 2, 0.3);
        assertEquals(1 - 0.3 * 0.7745967 - 1e-5, p[0], 1e-6);
        assertEquals(1 - 0.3 * 1.0954451 - 1e-5, p[1], 1e-6);
        assertEquals(1 - 0.3 * 1.0392305 - 1e-5, p[2], 1e-6);
        assertEquals(1 - 0.3 * 0.9797959 - 1e-5, p[3], 1e-6);
    }

    @Test
    void updateClippingAndDecay() {
        // a gradient concentrated in one element: u = g / sqrt(v̂) has RMS > 1 and is scaled down to RMS 1
        Adafactor a = new Adafactor(0.8, 1e-30, 1.0, 0);
        float[] p = new float[4];
        a.step(p, new float[]{10, 0, 0, 0}, 2, 2, 1.0);
        // r = [50, 0], c = [50, 0] (+ε), mean(r) = 25: u00 = 10 / sqrt(2 · 50) = 1; the zeros stay 0 (0/ε)
        // RMS(u) = 0.5 → no clipping
        assertEquals(-1.0, p[0], 1e-6);
        assertEquals(0.0, p[1], 1e-6);
        // step 2: beta2 = 1 − 2^−0.8 = 0.4256484
        Map<String, double[]> s = a.state();
        assertEquals(2, s.get("adafactor.v_row").length);
        assertEquals(1.0, s.get("adafactor.step")[0]);
        a.step(p, new float[]{0, 0, 0, 10}, 2, 2, 1.0);
        double b2 = 1 - Math.pow(2, -0.8);
        double r0 = b2 * 50;
        double r1 = (1 - b2) * 50;
        double c1 = (1 - b2) * 50;
        double u11 = 10 / Math.sqrt(r1 / ((r0 + r1) / 2) * c1);
        double rms = Math.sqrt(u11 * u11 / 4);
        assertEquals(-u11 / Math.max(1, rms), p[3], 1e-5);
    }

    @Test
    void stateRoundTrips() {
        Adafactor a = new Adafactor(0.8, 1e-30, 1.0, 1e-5);
        float[] p = {1, 2, 3, 4, 5, 6};
        a.step(p, new float[]{1, -1, 2, -2, 3, -3}, 2, 3, 0.3);
        Adafactor b = new Adafactor(0.8, 1e-30, 1.0, 1e-5);
        b.restore(a.state());
        float[] p2 = p.clone();
        a.step(p, new float[]{0.5f, 1, 1, 1, 1, 2}, 2, 3, 0.3);
        b.step(p2, new float[]{0.5f, 1, 1, 1, 1, 2}, 2, 3, 0.3);
        org.junit.jupiter.api.Assertions.assertArrayEquals(p, p2);
    }
}
