package dev.t5pt.bench;

import dev.t5pt.perf.Workloads;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** Encoder forward of the paper's batch, and greedy decoding (B=1, 128-token input, 32 tokens). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.VECTOR_MODULE, JvmFlags.QUIET, JvmFlags.INLINE_VECTOR_MATH, "-Xmx4g"})
public class EndToEndBenchmark {
    private static final int TOKENS = 32;

    @Param({"t5-small", "t5-base-lm-adapt"})
    public String shape;

    private Workloads w;

    @Setup
    public void setup() {
        w = new Workloads(Workloads.shape(shape), 42);
    }

    @Benchmark
    public INDArray encoderForward() {
        return w.encoder();
    }

    /**
     * 32 greedy tokens (EOS does not stop the row), counted as 32 operations: JMH reports ms per token, the
     * encoder pass over the 128-token input included in its share.
     */
    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public int[][] greedyDecodePerToken() {
        return w.decode(TOKENS);
    }
}
