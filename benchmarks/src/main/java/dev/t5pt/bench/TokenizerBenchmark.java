package dev.t5pt.bench;

import dev.t5pt.tokenizer.SentencePieceTokenizer;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * SentencePiece encode throughput on English lines (benchmarks/src/main/resources/english.txt, the
 * tokenizer fixtures' English texts); benchmarks/python/tokenizer_bench.py times python's
 * sentencepiece (C++) on the same lines. One operation = one pass over all lines.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.VECTOR_MODULE, JvmFlags.QUIET, JvmFlags.INLINE_VECTOR_MATH})
public class TokenizerBenchmark {
    private SentencePieceTokenizer sp;
    private String[] lines;

    @Setup
    public void setup() throws IOException {
        sp = T5Tokenizer.t5Default().sentencePiece();
        try (InputStream in = TokenizerBenchmark.class.getResourceAsStream("/english.txt")) {
            lines = Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                    .filter(l -> !l.isEmpty()).toArray(String[]::new);
        }
    }

    @Benchmark
    public void encodeEnglishLines(Blackhole bh) {
        for (String l : lines) {
            bh.consume(sp.encode(l));
        }
    }
}
