package dev.t5pt.tune;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adafactor as the paper ran it (T5X's implementation, no momentum): factored second moments for the 2-D
 * prompt, decay β₂(t) = 1 − t^(−decayRate) with t the 1-based step, ε₁ added to g², update clipping by
 * RMS, no parameter scaling, and decoupled weight decay param −= wd·param (not multiplied by lr).
 *
 * <pre>
 * g2 = g² + ε₁
 * r ← β₂·r + (1−β₂)·mean_cols(g2)      (one per prompt row)
 * c ← β₂·c + (1−β₂)·mean_rows(g2)      (one per model dimension)
 * u = g / sqrt(r/mean(r) ⊗ c)
 * u = u / max(1, RMS(u)/clip)
 * param ← param − lr·u − wd·param
 * </pre>
 */
public final class Adafactor implements Optimizer {
    private final double decayRate;
    private final double epsilon1;
    private final double clipThreshold;
    private final double weightDecay;
    private double[] rowMoments = new double[0];
    private double[] colMoments = new double[0];
    private double[] steps = {0};

    public Adafactor(double decayRate, double epsilon1, double clipThreshold, double weightDecay) {
        this.decayRate = decayRate;
        this.epsilon1 = epsilon1;
        this.clipThreshold = clipThreshold;
        this.weightDecay = weightDecay;
    }

    @Override
    public String name() {
        return "adafactor";
    }

    @Override
    public void step(float[] param, float[] grad, int rows, int cols, double lr) {
        if (rowMoments.length != rows || colMoments.length != cols) {
            rowMoments = new double[rows];
            colMoments = new double[cols];
        }
        steps[0]++;
        double beta2 = 1 - Math.pow(steps[0], -decayRate);
        double[] rowMean = new double[rows];
        double[] colMean = new double[cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double g = grad[i * cols + j];
                double g2 = g * g + epsilon1;
                rowMean[i] += g2 / cols;
                colMean[j] += g2 / rows;
            }
        }
        double rowAvg = 0;
        for (int i = 0; i < rows; i++) {
            rowMoments[i] = beta2 * rowMoments[i] + (1 - beta2) * rowMean[i];
            rowAvg += rowMoments[i] / rows;
        }
        for (int j = 0; j < cols; j++) {
            colMoments[j] = beta2 * colMoments[j] + (1 - beta2) * colMean[j];
        }
        double[] u = new double[rows * cols];
        double sumSq = 0;
        for (int i = 0; i < rows; i++) {
            double rowFactor = 1 / Math.sqrt(rowMoments[i] / rowAvg);
            for (int j = 0; j < cols; j++) {
                double v = grad[i * cols + j] * rowFactor / Math.sqrt(colMoments[j]);
                u[i * cols + j] = v;
                sumSq += v * v;
            }
        }
        double denom = Math.max(1.0, Math.sqrt(sumSq / u.length) / clipThreshold);
        for (int k = 0; k < u.length; k++) {
            double p = param[k];
            param[k] = (float) (p - lr * u[k] / denom - weightDecay * p);
        }
    }

    @Override
    public Map<String, double[]> state() {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put("adafactor.v_row", rowMoments.clone());
        m.put("adafactor.v_col", colMoments.clone());
        m.put("adafactor.step", steps.clone());
        return m;
    }

    @Override
    public void restore(Map<String, double[]> state) {
        double[] r = state.get("adafactor.v_row");
        double[] c = state.get("adafactor.v_col");
        double[] s = state.get("adafactor.step");
        if (r == null || c == null || s == null || s.length != 1) {
            throw new IllegalArgumentException("optimizer state: expected adafactor.v_row, v_col and step, found " + state.keySet());
        }
        rowMoments = r.clone();
        colMoments = c.clone();
        steps = s.clone();
    }
}
