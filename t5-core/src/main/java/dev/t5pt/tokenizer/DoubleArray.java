package dev.t5pt.tokenizer;

/**
 * A read-only darts-clone double-array trie, the format SentencePiece stores its precompiled character
 * map in: 32-bit units holding a label, an offset to the children, a leaf flag or a value.
 */
final class DoubleArray {
    private final int[] units;

    DoubleArray(int[] units) {
        this.units = units;
    }

    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int value(int unit) {
        return unit & 0x7fffffff;
    }

    private static int label(int unit) {
        return unit & (0x80000000 | 0xff);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    /**
     * Common-prefix search over key[from, to): the value and length of the longest key that is a prefix,
     * among the first {@code maxResults} matches (as SentencePiece's normalizer looks at no more than 32).
     * Returns {@code (value << 32) | length}, or -1 when nothing matches.
     */
    long longestPrefix(byte[] key, int from, int to, int maxResults) {
        if (units.length == 0) {
            return -1;
        }
        int nodePos = 0;
        int unit = units[0];
        nodePos ^= offset(unit);
        int found = 0;
        long best = -1;
        for (int i = from; i < to; i++) {
            int c = key[i] & 0xff;
            nodePos ^= c;
            if (nodePos < 0 || nodePos >= units.length) {
                return best;
            }
            unit = units[nodePos];
            if (label(unit) != c) {
                return best;
            }
            nodePos ^= offset(unit);
            if (hasLeaf(unit)) {
                if (found < maxResults && nodePos >= 0 && nodePos < units.length) {
                    best = ((long) value(units[nodePos]) << 32) | (i + 1 - from);
                }
                found++;
            }
        }
        return best;
    }
}
