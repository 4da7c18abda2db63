package dev.t5pt.bench;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.Nd4jKernels;
import dev.t5pt.kernels.VectorKernels;
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
 * The attention kernel, forward (scores = Q·Kᵀ, + position bias + key mask, softmax, context = P·V) and
 * backward (dP = dC·Vᵀ, dV = Pᵀ·dC, softmax backward, dQ = dS·K, dK = dSᵀ·Q), with t5pt's fast row kernels
 * ("vector") and with plain ND4J op compositions ("nd4j"), at T5-small (8 heads) and T5-base (12 heads)
 * shapes for B=8, L=228, d_kv=64, and at the decode shape (B=1, one query over 128 cached keys). {@link #sgemm}
 * gives the machine's GEMM rate in the same run: 2·M·N·K flops of a [1824, 512] × [512, 2048] product.
 * GFLOP/s of a variant = flops() / time; the matmul part is 4·B·H·Lq·Lk·d_kv flops forward, 8·… backward.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.VECTOR_MODULE, JvmFlags.QUIET, JvmFlags.INLINE_VECTOR_MATH})
public class AttentionBenchmark {
    /** "heads:batch:queries:keys": T5-small and T5-base training shapes, T5-small decode. */
    @Param({"8:8:228:228", "12:8:228:228", "8:1:1:128"})
    public String shape;

    @Param({"vector", "nd4j"})
    public String kernels;

    private Kernels k;
    private int heads;
    private int batch;
    private INDArray q;
    private INDArray kk;
    private INDArray v;
    private INDArray probs;
    private INDArray ctx;
    private INDArray bias;
    private AttentionMask mask;
    private INDArray dCtx;
    private INDArray dProbs;
    private INDArray dQ;
    private INDArray dK;
    private INDArray dV;
    private INDArray a;
    private INDArray w;
    private INDArray y;

    @Setup
    public void setup() {
        String[] s = shape.split(":");
        heads = Integer.parseInt(s[0]);
        batch = Integer.parseInt(s[1]);
        int lq = Integer.parseInt(s[2]);
        int lk = Integer.parseInt(s[3]);
        k = kernels.equals("vector") ? new VectorKernels() : new Nd4jKernels();
        Nd4j.getRandom().setSeed(42);
        long bh = (long) batch * heads;
        q = Nd4j.randn(DataType.FLOAT, bh, lq, 64);
        kk = Nd4j.randn(DataType.FLOAT, bh, lk, 64);
        v = Nd4j.randn(DataType.FLOAT, bh, lk, 64);
        probs = Nd4j.create(DataType.FLOAT, bh, lq, lk);
        ctx = Nd4j.create(DataType.FLOAT, bh, lq, 64);
        bias = Nd4j.randn(DataType.FLOAT, heads, lq, lk);
        int[][] m = new int[batch][lk];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < lk; j++) {
                m[b][j] = j < lk - 10 * b ? 1 : 0;
            }
        }
        mask = AttentionMask.KeyPadding.of(m);
        dCtx = Nd4j.randn(DataType.FLOAT, bh, lq, 64);
        dProbs = Nd4j.create(DataType.FLOAT, bh, lq, lk);
        dQ = Nd4j.create(DataType.FLOAT, bh, lq, 64);
        dK = Nd4j.create(DataType.FLOAT, bh, lk, 64);
        dV = Nd4j.create(DataType.FLOAT, bh, lk, 64);
        a = Nd4j.randn(DataType.FLOAT, 1824, 512);
        w = Nd4j.randn(DataType.FLOAT, 2048, 512);
        y = Nd4j.create(DataType.FLOAT, 1824, 2048);
    }

    @Benchmark
    public INDArray forward() {
        k.attention(q, kk, v, bias, mask, heads, probs, ctx);  // a head at a time in t5pt's kernels
        return ctx;
    }

    @Benchmark
    public INDArray backward() {
        k.attentionBackward(dCtx, probs, q, kk, v, dProbs, dQ, dK, dV);  // a head at a time in t5pt's kernels
        return dK;
    }

    /** The forward's matmul part alone (Q·Kᵀ and P·V), 4·B·H·Lq·Lk·d_kv flops. */
    @Benchmark
    public INDArray forwardMatmuls() {
        k.batchedMatmul(q, false, kk, true, probs);
        k.batchedMatmul(probs, false, v, false, ctx);
        return ctx;
    }

    /** The backward's matmul part alone (dP, dV, dQ, dK), 8·B·H·Lq·Lk·d_kv flops. */
    @Benchmark
    public INDArray backwardMatmuls() {
        k.batchedMatmul(dCtx, false, v, true, dProbs);
        k.batchedMatmul(probs, true, dCtx, false, dV);
        k.batchedMatmul(dProbs, false, kk, false, dQ);
        k.batchedMatmul(dProbs, true, q, false, dK);
        return dK;
    }

    /** The reference GEMM rate: [1824, 512]·[2048, 512]ᵀ = 3.83 GFLOP. */
    @Benchmark
    public INDArray sgemm() {
        Nd4j.matmul(a, w, y, false, true, false);
        return y;
    }

    /**
     * The flops one call of a benchmark method counts at a shape ("heads:batch:queries:keys"): its matmul
     * part, 4·B·H·Lq·Lk·d_kv forward and twice that backward (softmax and masks not counted), or the sgemm's
     * 2·M·N·K.
     */
    static double flops(String method, String shape) {
        String[] s = shape.split(":");
        double products = 4.0 * Long.parseLong(s[0]) * Long.parseLong(s[1]) * Long.parseLong(s[2])
                * Long.parseLong(s[3]) * 64;
        return switch (method) {
            case "forward", "forwardMatmuls" -> products;
            case "backward", "backwardMatmuls" -> 2 * products;
            case "sgemm" -> 2.0 * 1824 * 2048 * 512;
            default -> throw new IllegalArgumentException("no flop count for " + method);
        };
    }
}
