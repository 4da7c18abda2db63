package dev.t5pt.bench;

import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.VectorKernels;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Decoding's one-row product y = x·Wᵀ ({@code Kernels.matVec}) per weight format, at T5-small's shapes (the
 * feed-forward's wi 2048×512 and wo 512×2048, the LM head 32128×512), with W read from memory as when decoding:
 * each call takes the next of enough matrices to hold {@link #CYCLED_BYTES} together, more than the caches. Its
 * rate is out·in / time multiply-adds per second; int8 and bfloat16 read 1 and 2 bytes per multiply-add, f32 4.
 * Run: {@code java -jar benchmarks/target/benchmarks.jar DecodeProductsBenchmark} (with the launcher's
 * environment: {@code OMP_WAIT_POLICY=PASSIVE}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.VECTOR_MODULE, JvmFlags.QUIET, JvmFlags.INLINE_VECTOR_MATH})
public class DecodeProductsBenchmark {
    /** The matrices a benchmark cycles through hold at least this much together (the L3 here is 32 MB). */
    static final long CYCLED_BYTES = 128L << 20;

    /** The LM head's rows at T5-small: an int8 head holds no exact values (the loader's rule, ModelLoader). */
    private static final int HEAD_ROWS = 32128;

    @Param({"f32", "bf16", "int8"})
    public String format;

    /** out×in. */
    @Param({"2048x512", "512x2048", "32128x512"})
    public String shape;

    private final Kernels kernels = new VectorKernels();
    private Frozen[] ws;
    private INDArray x;
    private INDArray y;
    private int next;

    @Setup
    public void setup() {
        String[] dims = shape.split("x");
        int out = Integer.parseInt(dims[0]);
        int in = Integer.parseInt(dims[1]);
        WeightFormat f = WeightFormat.parse(format);
        Nd4j.getRandom().setSeed(42);
        long held = (long) out * in * switch (f) {
            case BF16 -> 2;
            case INT8 -> 1;
            default -> 4;
        };
        ws = new Frozen[(int) Math.max(2, (CYCLED_BYTES + held - 1) / held)];
        for (int i = 0; i < ws.length; i++) {
            INDArray w = Nd4j.randn(DataType.FLOAT, out, in).muli(0.05);
            ws[i] = switch (f) {
                case BF16 -> Frozen.Bf16.of(w);
                case INT8 -> Frozen.Int8.of(w, out == HEAD_ROWS ? 0 : Frozen.Int8.EXACT_PER_ROW);   // as loaded
                default -> new Frozen.F32(w);
            };
            if (f != WeightFormat.F32) {
                w.close();
            }
        }
        x = Nd4j.randn(DataType.FLOAT, 1, in);
        y = Nd4j.create(DataType.FLOAT, 1, out);
    }

    @TearDown
    public void tearDown() {
        for (Frozen w : ws) {
            w.release();
        }
    }

    @Benchmark
    public INDArray matVec() {
        Frozen w = ws[next];
        next = next + 1 == ws.length ? 0 : next + 1;
        kernels.matVec(x, w, y);
        return y;
    }
}
