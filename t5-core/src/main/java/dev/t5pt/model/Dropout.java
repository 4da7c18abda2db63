package dev.t5pt.model;

/**
 * Dropout inside the frozen model, at Hugging Face's T5 sites (embeddings, attention probabilities,
 * attention and FFN outputs before their residual adds, the FFN hidden layer, after each stack's final
 * norm). Masks are not stored: element i of a site is kept iff hash(site seed, i) ≥ rate, so backward (and a
 * checkpointed recompute) regenerates exactly the forward's mask. {@link #NONE} is eval mode.
 */
public record Dropout(float rate, long seed, long rowOffset, int rows) {
    public static final Dropout NONE = new Dropout(0f, 0L);

    /** Site kinds within a block or stack. */
    public enum Site { EMBED, SELF_PROBS, SELF_OUT, CROSS_PROBS, CROSS_OUT, FF_HIDDEN, FF_OUT, FINAL }

    public Dropout {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("dropout rate: expected [0, 1), found " + rate);
        }
        if (rowOffset < 0 || rows < 0) {
            throw new IllegalArgumentException("dropout slice: expected rows ≥ 0 at offset ≥ 0, found " + rows + " at " + rowOffset);
        }
    }

    /** Dropout over a whole batch. */
    public Dropout(float rate, long seed) {
        this(rate, seed, 0, 0);
    }

    /**
     * The dropout of a micro-batch: rows [rowOffset, rowOffset + rows) of a larger batch, padded to its lengths.
     * Every site's element then gets the index it has in the whole batch, so the masks, and the result, do not
     * depend on how the batch is split.
     */
    public Dropout slice(long rowOffset, int rows) {
        return new Dropout(rate, seed, rowOffset, rows);
    }

    /** The index offset of a site array of this many elements: the elements of the rows before the slice. */
    public long offset(long length) {
        return rows == 0 ? 0 : rowOffset * (length / rows);
    }

    /** The same rate and slice with a site's seed. */
    public Dropout at(long siteSeed) {
        return new Dropout(rate, siteSeed, rowOffset, rows);
    }

    public boolean active() {
        return rate > 0f;
    }

    /** The dropout of one training step: same rate, a seed of its own. */
    public Dropout forStep(long step) {
        return new Dropout(rate, mix(seed ^ mix(step + 0x5DEECE66DL)), rowOffset, rows);
    }

    /** The seed of one site: stack 0 = encoder, 1 = decoder; layer −1 for stack-level sites. */
    public long site(int stack, int layer, Site site) {
        return mix(seed + 0x9E3779B97F4A7C15L * (1 + stack * 4099L + (layer + 1) * 64L + site.ordinal()));
    }

    /** True when element i of the site with this seed survives. */
    public static boolean keep(long siteSeed, long i, float rate) {
        long h = mix(siteSeed ^ (i * 0xD1B54A32D192ED03L));
        float u = (h >>> 40) * 0x1p-24f; // uniform in [0, 1) on a 2^-24 grid
        return u >= rate;
    }

    /** splitmix64's finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
