package dev.t5pt.io;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;



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
        return scaled(name, Nd4j.randn(dataType, shape), shape);
    }

    /** Rows of a matrix drawn at a time for a compact format: 16 MB of float32. */
    private static final long SLICE_FLOATS = 1L << 22;

    /**
     * A float32 matrix as {@link #get} draws it; a compact one drawn a slice of rows at a time (each slice seeded
     * by name and index) and converted, so that no float32 copy of a large matrix, let alone of the model, exists.
     */
    @Override
    public Frozen matrix(String name, WeightFormat format, int exactPerRow, long rows, long cols) {
        return stacked(java.util.List.of(name), format, exactPerRow, rows, cols);
    }

    /** Compact stacks are drawn slice by slice straight into the one matrix (float32 ones stacked as usual). */
    @Override
    public Frozen stacked(java.util.List<String> names, WeightFormat format, int exactPerRow, long rows, long cols) {
        WeightFormat held = format.heldAs(DType.F32);
        if (held == WeightFormat.F32) {
            if (names.size() == 1) {
                return new Frozen.F32(get(names.get(0), rows, cols));
            }
            try {
                return WeightSource.super.stacked(names, held, exactPerRow, rows, cols);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        int step = (int) Math.max(1, Math.min(rows, SLICE_FLOATS / cols));
        INDArray[] last = {null};
        Frozen m = Frozen.of(held, exactPerRow, (int) (rows * names.size()), (int) cols, from -> {
            if (last[0] != null) {
                last[0].close();
            }
            String name = names.get((int) (from / rows));   // a slice ends at its name's last row at the latest
            long at = from % rows;
            Nd4j.getRandom().setSeed((seed * 31 + name.hashCode()) * 1_000_003L + at);
            long n = Math.min(step, rows - at);
            last[0] = scaled(name, Nd4j.randn(DataType.FLOAT, n, cols), new long[]{rows, cols});
            return last[0];
        });
        last[0].close();
        return m;
    }

    /** Norm scales near 1, tables N(0, 1), matrices N(0, 1/in): a of the tensor of the given full shape. */
    private static INDArray scaled(String name, INDArray a, long[] shape) {
        if (shape.length == 1) {
            return a.muli(0.05).addi(1.0);
        }
        if (name.contains("relative_attention_bias") || name.equals("shared.weight")) {
            return a;
        }
        return a.muli(1.0 / Math.sqrt(shape[1]));
    }
}
