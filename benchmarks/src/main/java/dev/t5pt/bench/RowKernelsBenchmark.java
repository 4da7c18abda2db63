package dev.t5pt.bench;

import dev.t5pt.config.T5Config;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.Nd4jKernels;
import dev.t5pt.kernels.VectorKernels;
import dev.t5pt.perf.Workloads;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The row kernels of a T5 layer at the paper's batch (B·L = 8·228 = 1824 rows), with t5pt's fast kernels
 * ("vector") and with plain ND4J op compositions ("nd4j"): RMS norm over d_model and the gated tanh-GELU of a
 * T5 1.1 feed-forward over d_ff, forward and backward. They stream their arrays once, so their rate is in GB/s
 * of the floats read and written ({@link #bytes}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.VECTOR_MODULE, JvmFlags.QUIET, JvmFlags.INLINE_VECTOR_MATH})
public class RowKernelsBenchmark {
    private static final int ROWS = Workloads.BATCH * (Workloads.INPUT_TOKENS + Workloads.PROMPT_LENGTH);
    private static final float EPS = 1e-6f;

    /** Widths from the real config: d_model for the norm, d_ff for the gated GELU. */
    @Param({"t5-small", "t5-base-lm-adapt"})
    public String model;

    @Param({"vector", "nd4j"})
    public String kernels;

    private Kernels k;
    private INDArray x;
    private INDArray w;
    private INDArray normed;
    private INDArray dNormed;
    private INDArray dx;
    private INDArray gate;
    private INDArray linear;
    private INDArray gated;
    private INDArray dGated;
    private INDArray dGate;
    private INDArray dLinear;

    @Setup
    public void setup() {
        T5Config cfg = Workloads.shape(model);
        k = kernels.equals("vector") ? new VectorKernels() : new Nd4jKernels();
        Nd4j.getRandom().setSeed(42);
        x = Nd4j.randn(DataType.FLOAT, ROWS, cfg.dModel());
        w = Nd4j.rand(DataType.FLOAT, cfg.dModel()).addi(0.5);
        normed = Nd4j.create(DataType.FLOAT, ROWS, cfg.dModel());
        dNormed = Nd4j.randn(DataType.FLOAT, ROWS, cfg.dModel());
        dx = Nd4j.create(DataType.FLOAT, ROWS, cfg.dModel());
        gate = Nd4j.randn(DataType.FLOAT, ROWS, cfg.dFf());
        linear = Nd4j.randn(DataType.FLOAT, ROWS, cfg.dFf());
        gated = Nd4j.create(DataType.FLOAT, ROWS, cfg.dFf());
        dGated = Nd4j.randn(DataType.FLOAT, ROWS, cfg.dFf());
        dGate = Nd4j.create(DataType.FLOAT, ROWS, cfg.dFf());
        dLinear = Nd4j.create(DataType.FLOAT, ROWS, cfg.dFf());
    }

    @Benchmark
    public INDArray rmsNorm() {
        k.rmsNorm(x, w, EPS, normed);
        return normed;
    }

    @Benchmark
    public INDArray rmsNormBackward() {
        k.rmsNormBackward(x, w, EPS, dNormed, dx, false);
        return dx;
    }

    @Benchmark
    public INDArray geluGate() {
        k.geluGate(gate, linear, gated);
        return gated;
    }

    @Benchmark
    public INDArray geluGateBackward() {
        k.geluGateBackward(gate, linear, dGated, dGate, dLinear);
        return dLinear;
    }

    /**
     * The bytes one call reads and writes for a model: the norm reads x and writes its output (8 bytes per
     * element), its backward reads x and dOut and writes dx (12); the gated GELU reads gate and linear and
     * writes its output (12), its backward reads those and dOut and writes dGate and dLinear (20).
     */
    static double bytes(String method, String model) {
        T5Config cfg = Workloads.shape(model);
        double norm = (double) ROWS * cfg.dModel();
        double ff = (double) ROWS * cfg.dFf();
        return switch (method) {
            case "rmsNorm" -> 8 * norm;
            case "rmsNormBackward" -> 12 * norm;
            case "geluGate" -> 12 * ff;
            case "geluGateBackward" -> 20 * ff;
            default -> throw new IllegalArgumentException("no byte count for " + method);
        };
    }
}
