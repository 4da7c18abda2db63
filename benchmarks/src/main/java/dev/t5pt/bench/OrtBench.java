package dev.t5pt.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.perf.Machine;
import dev.t5pt.perf.PeakMemory;
import dev.t5pt.perf.Repetitions;
import dev.t5pt.perf.Workloads;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ONNX Runtime Java side of benchmarks/side_by_side.sh: the same encoder and greedy-decoding workloads as
 * {@code ./t5pt bench}, on the graphs benchmarks/python/export_onnx.py exports from the benchmarks' PyTorch T5
 * (two intra-op threads, all graph optimizations, sequential execution). encoder: B=8, 100 prompt rows + 128
 * tokens; decode: B=1, a 128-token input, 32 greedy tokens with a self-attention cache, the encoder pass included.
 * Prints one JSON object like the other two sides.
 * gemm: each of the encoder's projection shapes (ONNX_DIR/matmul_KxN.onnx, B·(P+L) rows), ONNX Runtime's MatMul
 * (MLAS) and ND4J's sgemm (OpenBLAS, the product t5pt's Linear runs) in turns, one JSON object per shape and side.
 * Usage: java -cp benchmarks/target/benchmarks.jar dev.t5pt.bench.OrtBench encoder|decode|gemm ONNX_DIR SHAPE [REPS]
 */
public final class OrtBench {
    private static final int TOKENS = 32;
    /** export_onnx.py's projection graphs: matmul_KxN.onnx. */
    private static final Pattern MATMUL_GRAPH = Pattern.compile("matmul_(\\d+)x(\\d+)\\.onnx");

    private OrtBench() {
    }

    public static void main(String[] args) throws Exception {
        String workload = args[0];
        Path dir = Path.of(args[1]);
        String shape = args[2];
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opt = new OrtSession.SessionOptions();
        opt.setIntraOpNumThreads(2);
        opt.setInterOpNumThreads(1);
        opt.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        opt.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (workload.equals("gemm")) {
            // ORT's idle workers otherwise spin on a core between runs, and OpenBLAS's GEMM in between gets one
            opt.addConfigEntry("session.intra_op.allow_spinning", "0");
            gemm(env, opt, dir, reps);
            return;
        }
        Runnable run = switch (workload) {
            case "encoder" -> encoder(env, env.createSession(dir.resolve("encoder.onnx").toString(), opt), shape);
            case "decode" -> decode(env, env.createSession(dir.resolve("encoder_ids.onnx").toString(), opt),
                    env.createSession(dir.resolve("decoder_step.onnx").toString(), opt));
            default -> throw new IllegalArgumentException("workload: expected encoder, decode or gemm, found " + workload);
        };
        for (int i = 0; i < 3; i++) {
            run.run();
        }
        double[] ms = Repetitions.timeSorted(run, reps);
        double median = Repetitions.median(ms);
        System.out.printf(Locale.ROOT, "{\"impl\": \"onnxruntime-java %s\", \"workload\": \"%s\", \"shape\": \"%s\", \"reps\": %d, "
                        + "\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f%s, \"peak_rss_mb\": %d, \"cpu\": \"%s\"}%n",
                env.getVersion(), workload, shape, reps, median, ms[0], ms[reps - 1],
                workload.equals("decode") ? String.format(Locale.ROOT, ", \"ms_per_token\": %.3f, \"tokens\": %d", median / TOKENS, TOKENS) : "",
                PeakMemory.peakRssMb(), Machine.cpu());
    }

    /**
     * y = x·Wᵀ at each matmul_KxN.onnx of dir, x [B·(P+L), K]: ONNX Runtime's MatMul (its weight a constant of the
     * graph, which ORT may pre-pack), t5pt's (Kernels.project, as its Linear's float32 forward: oneDNN's brgemm
     * over a packed W where the CPU has it) and Nd4j.matmul (OpenBLAS) into a preallocated y, alternating
     * repetitions so that all see the same machine.
     */
    private static void gemm(OrtEnvironment env, OrtSession.SessionOptions opt, Path dir, int reps) throws Exception {
        int rows = Workloads.BATCH * (Workloads.PROMPT_LENGTH + Workloads.INPUT_TOKENS);
        List<Path> graphs;
        try (var files = Files.list(dir)) {
            graphs = files.filter(f -> MATMUL_GRAPH.matcher(f.getFileName().toString()).matches()).sorted().toList();
        }
        if (graphs.isEmpty()) {
            throw new IllegalArgumentException(dir + ": expected matmul_KxN.onnx graphs (benchmarks/python/export_onnx.py), found none");
        }
        for (Path graph : graphs) {
            Matcher kn = MATMUL_GRAPH.matcher(graph.getFileName().toString());
            kn.matches();
            int k = Integer.parseInt(kn.group(1));
            int n = Integer.parseInt(kn.group(2));
            float[] xs = gaussian(rows * k);
            INDArray x = Nd4j.create(xs, new long[]{rows, k}, 'c');
            INDArray w = Nd4j.randn(DataType.FLOAT, n, k);
            INDArray y = Nd4j.create(DataType.FLOAT, rows, n);
            Runnable nd4j = () -> Nd4j.matmul(x, w, y, false, true, false);
            Kernels kernels = Kernels.forBackend();
            Runnable t5pt = () -> kernels.project(x, w, y);
            try (OrtSession s = env.createSession(graph.toString(), opt);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(xs), new long[]{rows, k})) {
                Runnable ort = () -> {
                    try (OrtSession.Result out = s.run(Map.of("x", t))) {
                        out.get(0);
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                };
                for (int i = 0; i < 3; i++) {
                    ort.run();
                    t5pt.run();
                    nd4j.run();
                }
                double[] ortMs = new double[reps];
                double[] t5ptMs = new double[reps];
                double[] nd4jMs = new double[reps];
                for (int i = 0; i < reps; i++) {
                    ortMs[i] = Repetitions.timeSorted(ort, 1)[0];
                    t5ptMs[i] = Repetitions.timeSorted(t5pt, 1)[0];
                    nd4jMs[i] = Repetitions.timeSorted(nd4j, 1)[0];
                }
                gemmLine("onnxruntime-java " + env.getVersion(), rows, k, n, ortMs);
                gemmLine("t5pt project (" + kernels.name() + ")", rows, k, n, t5ptMs);
                gemmLine("nd4j sgemm (OPENBLAS_CORETYPE=" + Machine.openBlasCoreType() + ")",
                        rows, k, n, nd4jMs);
            }
        }
    }

    /** n standard normal floats, seeded: the inputs' values do not change what a dense pass costs. */
    private static float[] gaussian(int n) {
        Random r = new Random(42);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static void gemmLine(String impl, int m, int k, int n, double[] ms) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = Repetitions.median(sorted);
        System.out.printf(Locale.ROOT, "{\"impl\": \"%s\", \"workload\": \"gemm\", \"m\": %d, \"k\": %d, \"n\": %d, "
                        + "\"median_ms\": %.3f, \"min_ms\": %.3f, \"gflops\": %.1f, \"cpu\": \"%s\"}%n",
                impl, m, k, n, median, sorted[0], 2.0 * m * k * n / median / 1e6, Machine.cpu());
    }

    /** The encoder over B×(P+L) rows of embeddings (random: the encoder's cost does not depend on them). */
    private static Runnable encoder(OrtEnvironment env, OrtSession s, String shape) throws OrtException {
        int d = Workloads.shape(shape).dModel();
        int b = Workloads.BATCH;
        int le = Workloads.PROMPT_LENGTH + Workloads.INPUT_TOKENS;
        float[] embeds = gaussian(b * le * d);
        float[] mask = new float[b * le];
        Arrays.fill(mask, 1f);
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(embeds), new long[]{b, le, d});
        OnnxTensor m = OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), new long[]{b, le});
        return () -> {
            try (OrtSession.Result out = s.run(Map.of("embeds", x, "mask", m))) {
                out.get(0);
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    /** Greedy decoding of TOKENS tokens for one 128-token input: the encoder pass, then one step per token. */
    private static Runnable decode(OrtEnvironment env, OrtSession enc, OrtSession step) throws OrtException {
        Random r = new Random(42);
        long[] ids = new long[Workloads.INPUT_TOKENS];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i == ids.length - 1 ? 1 : 3 + r.nextInt(32000 - 3);
        }
        float[] mask = new float[ids.length];
        Arrays.fill(mask, 1f);
        long[] past = ((TensorInfo) step.getInputInfo().get("past_k").getInfo()).getShape(); // [layers, 1, H, t, K]
        long[] empty = {past[0], 1, past[2], 0, past[4]};
        OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[]{1, ids.length});
        OnnxTensor m = OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), new long[]{1, ids.length});
        return () -> {
            try (OrtSession.Result e = enc.run(Map.of("input_ids", in, "mask", m))) {
                OnnxTensor k = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), empty);
                OnnxTensor v = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), empty);
                OnnxTensor token = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[]{0}), new long[]{1, 1});
                OrtSession.Result last = null;
                for (int t = 0; t < TOKENS; t++) {
                    Map<String, OnnxTensor> feed = new HashMap<>();
                    feed.put("token", token);
                    feed.put("past_k", k);
                    feed.put("past_v", v);
                    feed.put("cross_k", (OnnxTensor) e.get("cross_k").get());
                    feed.put("cross_v", (OnnxTensor) e.get("cross_v").get());
                    feed.put("mask", m);
                    OrtSession.Result o = step.run(feed);
                    if (last != null) {
                        last.close();                          // the previous step's cache, now consumed
                    } else {
                        k.close();
                        v.close();
                    }
                    token.close();
                    long next = ((long[][]) o.get("next").get().getValue())[0][0];
                    token = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[]{next}), new long[]{1, 1});
                    k = (OnnxTensor) o.get("present_k").get();
                    v = (OnnxTensor) o.get("present_v").get();
                    last = o;
                }
                token.close();
                last.close();
            } catch (OrtException ex) {
                throw new IllegalStateException(ex);
            }
        };
    }
}
