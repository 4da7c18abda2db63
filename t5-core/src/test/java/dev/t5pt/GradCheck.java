package dev.t5pt;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.function.DoubleSupplier;

/** Central finite differences in double precision, compared norm-wise with an analytic gradient. */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * The norm-wise relative error max|analytic − fd| / max|fd| over every element of {@code x}, where fd is
     * (f(x + h·e) − f(x − h·e)) / 2h and f reads x (which is perturbed in place and restored).
     */
    public static double error(INDArray x, INDArray analytic, DoubleSupplier f, double h) {
        long n = x.length();
        INDArray flat = x.reshape(n);
        INDArray an = analytic.reshape(n);
        double maxDiff = 0;
        double maxRef = 0;
        for (long i = 0; i < n; i++) {
            double v = flat.getDouble(i);
            flat.putScalar(i, v + h);
            double plus = f.getAsDouble();
            flat.putScalar(i, v - h);
            double minus = f.getAsDouble();
            flat.putScalar(i, v);
            double fd = (plus - minus) / (2 * h);
            maxDiff = Math.max(maxDiff, Math.abs(fd - an.getDouble(i)));
            maxRef = Math.max(maxRef, Math.abs(fd));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
