package dev.t5pt.io;

import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;

/** Where a model's tensors come from, by canonical HF name and expected shape. */
@FunctionalInterface
public interface WeightSource {
    /** The tensor as a float32 array (FLOAT results). */
    INDArray get(String name, long... expectedShape) throws IOException;

    /**
     * The matrix [rows, cols] stored under name, held in {@code format} (AS_STORED: the stored precision), with
     * exactPerRow exact values per row if that is int8 ({@link Frozen.Int8}). This default loads float32 and
     * converts; a source that can do better (a memory-mapped bfloat16 file, random weights drawn a slice at a
     * time) overrides it.
     */
    default Frozen matrix(String name, WeightFormat format, int exactPerRow, long rows, long cols) throws IOException {
        INDArray a = get(name, rows, cols);
        Frozen f = Frozen.of(a, format, exactPerRow);
        if (!(f instanceof Frozen.F32)) {
            a.close();
        }
        return f;
    }

    /**
     * The matrices stored under names, each [rows, cols], stacked by rows into one [names·rows, cols] matrix held in
     * format (the attention's fused q, k, v). This default loads each and copies them together; a source that can
     * write the stack directly (random weights) overrides it, so that no part exists beside the whole.
     */
    default Frozen stacked(java.util.List<String> names, WeightFormat format, int exactPerRow, long rows, long cols)
            throws IOException {
        Frozen[] parts = new Frozen[names.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = matrix(names.get(i), format, exactPerRow, rows, cols);
        }
        Frozen whole = Frozen.concatRows(parts);
        for (Frozen p : parts) {
            p.release();   // the stacked copy is all that is kept: free the parts now rather than whenever the GC runs
        }
        return whole;
    }
}
