package dev.t5pt.bench;

import dev.t5pt.config.T5Config;
import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.StepListener;
import dev.t5pt.io.RandomWeights;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import dev.t5pt.perf.Workloads;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;
import dev.t5pt.weights.WeightOptions;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Where a workload's time goes: every {@link Kernels} call is timed through a proxy (per method, batched
 * products per shape), the rest of the wall time is ND4J (the dense GEMMs and the few element-wise ops), and the
 * dense GEMM shapes of the step are timed alone for their GFLOP/s.
 * Usage: {@code OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=16 java --add-modules jdk.incubator.vector
 * -XX:CompileCommand=quiet -XX:CompileCommand=inline,dev.t5pt.kernels.VectorMath::* -cp benchmarks/target/benchmarks.jar
 * dev.t5pt.bench.KernelProfile step|encoder|decode [SHAPE [f32|bf16|int8 [REPS [WARMUP [checkpointing]]]]]} (the launcher's JVM
 * options; defaults t5-small f32 5 4, no checkpointing)
 */
public final class KernelProfile {
    private KernelProfile() {
    }

    public static void main(String[] args) {
        String workload = args.length > 0 ? args[0] : "step";
        String shape = args.length > 1 ? args[1] : "t5-small";
        T5Config cfg = Workloads.shape(shape);
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;        // big shapes: fewer
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        boolean checkpointing = args.length > 5 && args[5].equals("checkpointing");
        Kernels real = Kernels.forBackend();
        Map<String, long[]> stats = new TreeMap<>();
        Kernels timed = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[]{Kernels.class},
                (p, m, a) -> {
                    long t0 = System.nanoTime();
                    Object r;
                    try {
                        r = m.invoke(real, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    String key = m.getName();
                    if (key.equals("batchedMatmul")) {
                        key += " " + java.util.Arrays.toString(((INDArray) a[0]).shape()) + (((Boolean) a[1]) ? "ᵀ" : "")
                                + "·" + java.util.Arrays.toString(((INDArray) a[2]).shape()) + (((Boolean) a[3]) ? "ᵀ" : "");
                    } else if (key.equals("matVec") || key.equals("matVecCompact")) {
                        key += a[1] instanceof Frozen f ? " " + f.format() + " out=" + f.rows() : " out=" + ((INDArray) a[1]).size(0);
                    } else if (key.equals("upcast")) {
                        key += " " + ((Frozen) a[0]).format();
                    }
                    long dt = System.nanoTime() - t0;
                    synchronized (stats) {
                        long[] s = stats.computeIfAbsent(key, z -> new long[2]);
                        s[0] += dt;
                        s[1]++;
                    }
                    return r;
                });
        T5Model model;
        try {
            model = T5Model.build(cfg, new RandomWeights(1), timed,
                    WeightOptions.of(args.length > 2 ? WeightFormat.parse(args[2]) : WeightFormat.F32));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Activations act = new Activations();
        Random rnd = new Random(1);
        boolean step = workload.equals("step");
        boolean encoder = workload.equals("encoder");  // the step's batch, forward through the encoder only
        Batch batch = Workloads.randomBatch(cfg, step || encoder ? Workloads.BATCH : 1, Workloads.INPUT_TOKENS,
                Workloads.TARGET_TOKENS, rnd);
        Nd4j.getRandom().setSeed(1);
        INDArray prompt = Nd4j.rand(DataType.FLOAT, Workloads.PROMPT_LENGTH, cfg.dModel()).subi(0.5);
        int tokens = 32;
        Runnable run = step ? () -> model.lossAndPromptGrad(act, batch, prompt, checkpointing, Dropout.NONE, 0)
                : encoder ? () -> model.encode(act, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE)
                : () -> Greedy.generate(model, act, Batch.inputs(batch.inputIds(), batch.attentionMask()), (INDArray) null,
                new Greedy.Options(tokens, false), StepListener.NONE);
        for (int i = 0; i < warmup; i++) {
            run.run();
        }
        stats.clear();
        long heap0 = heapAllocated();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            run.run();
        }
        long heap = heapAllocated() - heap0;
        String per1 = step ? "step" : encoder ? "forward" : "token";
        double per = step || encoder ? reps : reps * (double) tokens;
        String unit = "ms/" + per1;
        double total = (System.nanoTime() - t0) / 1e6 / per;
        double kernels = 0;
        for (Map.Entry<String, long[]> e : stats.entrySet()) {
            double ms = e.getValue()[0] / 1e6 / per;
            kernels += ms;
            System.out.printf("%-60s %8.3f %s  %7.1f calls%n", e.getKey(), ms, unit, e.getValue()[1] / per);
        }
        System.out.printf("%s %s: %.1f %s; t5pt kernels %.1f, ND4J and the rest %.1f%n", workload, shape, total, unit,
                kernels, total - kernels);
        // a Vector API value that C2 could not keep in registers is boxed: this was ~190 MB per step then
        System.out.printf("heap allocated: %.2f MB per %s%n", heap / 1e6 / per, per1);
        if (step) {
            gemmRates(cfg);
        }
    }

    /** Bytes allocated on the heap so far by all live threads (the caller and the kernel workers). */
    private static long heapAllocated() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : mx.getAllThreadIds()) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(id));
        }
        return sum;
    }

    /**
     * The step's dense product shapes, each alone, as y = x·Wᵀ into a preallocated output (t5pt's float32
     * projection, as Linear runs it).
     */
    private static void gemmRates(T5Config c) {
        int n = Workloads.BATCH * (Workloads.INPUT_TOKENS + Workloads.PROMPT_LENGTH);
        int t = Workloads.BATCH * Workloads.TARGET_TOKENS;
        int[][] shapes = {{n, c.dModel(), 3 * c.innerDim()}, {n, c.dModel(), c.dFf()}, {n, c.dFf(), c.dModel()},
                {n, c.innerDim(), c.dModel()}, {t, c.dModel(), c.dModel()}, {t, c.dModel(), c.vocabSize()}};
        Kernels kernels = Kernels.forBackend();
        for (int[] s : shapes) {
            INDArray x = Nd4j.rand(DataType.FLOAT, s[0], s[1]);
            INDArray w = Nd4j.rand(DataType.FLOAT, s[2], s[1]);
            INDArray y = Nd4j.create(DataType.FLOAT, s[0], s[2]);
            for (int i = 0; i < 3; i++) {
                kernels.project(x, w, y);
            }
            int reps = 10;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                kernels.project(x, w, y);
            }
            double ms = (System.nanoTime() - t0) / 1e6 / reps;
            System.out.printf("GEMM [%d, %d]·[%d, %d]ᵀ alone: %.2f ms, %.0f GFLOP/s%n", s[0], s[1], s[2], s[1], ms,
                    2.0 * s[0] * s[1] * s[2] / ms / 1e6);
        }
    }
}
