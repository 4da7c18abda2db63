package dev.t5pt.io;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded random weights for any config, for benchmarks and shape tests: layer-norm scales near 1,
 * matrices N(0, 1/in), position-bias tables and embeddings N(0, 1). Each tensor's values depend only on
 * the seed and its name.
 */
public final class RandomWeights implements WeightSource {
    private final long seed;
    private final DataType dataType;

    public RandomWeights(long seed) {
        this(seed, DataType.FLOAT);
    }

    /** DOUBLE weights serve gradient checks in double precision (with the ND4J kernels). */
    public RandomWeights(long seed, DataType dataType) {
        this.seed = seed;
        this.dataType = dataType;
    }

    @Override
    public INDArray get(String name, long... shape) {
        Nd4j.getRandom().setSeed(seed * 31 + name.hashCode());
        INDArray a = Nd4j.randn(dataType, shape);
        if (shape.length == 1) {
            return a.muli(0.05).addi(1.0);
        }
        if (name.contains("relative_attention_bias") || name.equals("shared.weight")) {
            return a;
        }
        return a.muli(1.0 / Math.sqrt(shape[1]));
    }
}
