package dev.t5pt.io;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;

/** Where a model's tensors come from, by canonical HF name and expected shape (FLOAT results). */
@FunctionalInterface
public interface WeightSource {
    INDArray get(String name, long... expectedShape) throws IOException;
}
