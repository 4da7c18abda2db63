package dev.t5pt.spark;

import dev.t5pt.weights.WeightOptions;

import java.io.Serializable;

/** A frozen model as tasks name it: where it is (a local path or a Hadoop FileSystem URL) and how to hold it. */
record ModelRef(String location, WeightOptions held) implements Serializable {
}
