package dev.t5pt.model;

/** What a forward pass keeps for a backward pass. */
public enum Retain {
    /** Nothing: blocks share one set of buffers (inference). */
    NOTHING,
    /** Every block's activations in its own buffers (fastest backward, most memory). */
    ALL,
    /**
     * Encoder: only each block's input; backward recomputes a block's forward just before inverting it
     * (activation checkpointing). The decoder, short in prompt tuning, keeps everything.
     */
    CHECKPOINTS
}
