package dev.t5pt.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Workspaces by layer index, each made on first use (a stack's per-block buffers, a cache's per-layer ones). */
public final class PerLayer<T> {
    private final Supplier<T> make;
    private final List<T> made = new ArrayList<>();

    public PerLayer(Supplier<T> make) {
        this.make = make;
    }

    /** Layer i's workspace, made (with those below it) if it was not yet. */
    public T get(int i) {
        while (made.size() <= i) {
            made.add(make.get());
        }
        return made.get(i);
    }

    /** Layer i's workspace if it was made, else null. */
    public T made(int i) {
        return i < made.size() ? made.get(i) : null;
    }
}
