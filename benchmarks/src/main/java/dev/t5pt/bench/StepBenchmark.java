package dev.t5pt.bench;

import dev.t5pt.perf.Workloads;
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
 * The whole prompt-tuning step (forward, backward to the prompt, update) at the paper's batch: B=8,
 * 128 input tokens + 100 prompt rows, 8 targets; seeded random weights at real T5 shapes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.VECTOR_MODULE, JvmFlags.QUIET, JvmFlags.INLINE_VECTOR_MATH, "-Xmx4g"})
public class StepBenchmark {
    @Param({"t5-small", "t5-base-lm-adapt"})
    public String shape;

    @Param({"false", "true"})
    public boolean checkpointing;

    private Workloads w;

    @Setup
    public void setup() {
        w = new Workloads(Workloads.shape(shape), 42);
    }

    @Benchmark
    public double step() {
        return w.step(checkpointing);
    }
}
