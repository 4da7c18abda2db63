package dev.t5pt.tune;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter): bias-corrected moments, decoupled weight decay
 * param ← param − lr·(m̂/(√v̂ + ε) + wd·param).
 */
public final class AdamW implements Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private double[] m = new double[0];
    private double[] v = new double[0];
    private double[] steps = {0};

    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public String name() {
        return "adamw";
    }

    @Override
    public void step(float[] param, float[] grad, int rows, int cols, double lr) {
        if (m.length != param.length) {
            m = new double[param.length];
            v = new double[param.length];
        }
        steps[0]++;
        double c1 = 1 - Math.pow(beta1, steps[0]);
        double c2 = 1 - Math.pow(beta2, steps[0]);
        for (int k = 0; k < param.length; k++) {
            double g = grad[k];
            m[k] = beta1 * m[k] + (1 - beta1) * g;
            v[k] = beta2 * v[k] + (1 - beta2) * g * g;
            double update = (m[k] / c1) / (Math.sqrt(v[k] / c2) + eps);
            param[k] = (float) (param[k] - lr * (update + weightDecay * param[k]));
        }
    }

    @Override
    public Map<String, double[]> state() {
        Map<String, double[]> s = new LinkedHashMap<>();
        s.put("adamw.m", m.clone());
        s.put("adamw.v", v.clone());
        s.put("adamw.step", steps.clone());
        return s;
    }

    @Override
    public void restore(Map<String, double[]> state) {
        double[] a = state.get("adamw.m");
        double[] b = state.get("adamw.v");
        double[] s = state.get("adamw.step");
        if (a == null || b == null || s == null || s.length != 1 || a.length != b.length) {
            throw new IllegalArgumentException("optimizer state: expected adamw.m, v and step, found " + state.keySet());
        }
        m = a.clone();
        v = b.clone();
        steps = s.clone();
    }
}
