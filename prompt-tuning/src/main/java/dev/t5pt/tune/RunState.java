package dev.t5pt.tune;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Where a run stands between steps: what a checkpoint saves, and what a step and an evaluation change. */
final class RunState {
    INDArray prompt;        // [P, d_model], updated in place each step
    float[] values;         // prompt's values, what the optimizer updates
    INDArray bestPrompt;    // [P, d_model], the best on dev so far (the prompt itself until the first evaluation)
    long step;
    double best = Double.NEGATIVE_INFINITY;
    long bestStep = -1;
    int sinceBest;          // evaluations without improvement
    int bad;                // non-finite steps in a row
    double loss;            // the last step's
    double norm;            // the last step's gradient norm, before clipping

    RunState(INDArray prompt, long step) {
        this.prompt = prompt;
        this.values = prompt.data().asFloat();
        this.step = step;
    }
}
