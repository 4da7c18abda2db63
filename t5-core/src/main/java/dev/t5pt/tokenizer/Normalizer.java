package dev.t5pt.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SentencePiece's normalizer: the precompiled character map (a double-array trie from UTF-8 sequences to
 * replacement strings, e.g. nmt_nfkc), then whitespace handling — leading, trailing and repeated spaces
 * removed, a dummy "▁" prefix, spaces escaped as "▁" — all over UTF-8 bytes, as the reference does.
 */
final class Normalizer {
    static final byte[] SPACE_SYMBOL = {(byte) 0xE2, (byte) 0x96, (byte) 0x81}; // U+2581 ▁
    private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD}; // U+FFFD
    private static final int MAX_TRIE_RESULTS = 32;

    private final DoubleArray trie;      // null when there is no character map
    private final byte[] normalized;     // NUL-separated replacement strings
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final boolean whitespaceAsSuffix;

    Normalizer(SentencePieceModel m) {
        byte[] blob = m.precompiledCharsmap();
        if (blob.length == 0) {
            trie = null;
            normalized = new byte[0];
        } else {
            if (blob.length < 4) {
                throw new IllegalArgumentException("precompiled_charsmap is " + blob.length + " bytes");
            }
            ByteBuffer bb = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
            int trieSize = bb.getInt();
            if (trieSize < 0 || trieSize % 4 != 0 || trieSize > blob.length - 4) {
                throw new IllegalArgumentException("precompiled_charsmap trie size " + trieSize + " is invalid");
            }
            int[] units = new int[trieSize / 4];
            bb.asIntBuffer().get(units);
            trie = new DoubleArray(units);
            normalized = java.util.Arrays.copyOfRange(blob, 4 + trieSize, blob.length);
        }
        addDummyPrefix = m.addDummyPrefix();
        removeExtraWhitespaces = m.removeExtraWhitespaces();
        escapeWhitespaces = m.escapeWhitespaces();
        whitespaceAsSuffix = m.treatWhitespaceAsSuffix();
    }

    /** A growable byte buffer. */
    static final class Bytes {
        byte[] a = new byte[64];
        int n;

        void add(byte b) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = b;
        }

        void add(byte[] src, int from, int len) {
            if (n + len > a.length) {
                a = java.util.Arrays.copyOf(a, Math.max(a.length * 2, n + len));
            }
            System.arraycopy(src, from, a, n, len);
            n += len;
        }

        boolean endsWith(byte[] s) {
            if (n < s.length) {
                return false;
            }
            for (int i = 0; i < s.length; i++) {
                if (a[n - s.length + i] != s[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Where one normalization step's output lies: in {@code src}[from, from+len); consumed input bytes. */
    private final class Step {
        byte[] src;
        int from;
        int len;
        int consumed;

        void at(byte[] in, int pos, int end) {
            long hit = trie == null ? -1 : trie.longestPrefix(in, pos, end, MAX_TRIE_RESULTS);
            if (hit >= 0) {
                int value = (int) (hit >>> 32);
                consumed = (int) hit;
                src = normalized;
                from = value;
                int e = value;
                while (e < normalized.length && normalized[e] != 0) {
                    e++;
                }
                len = e - value;
                return;
            }
            int n = Utf8.validCharLength(in, pos, end);
            if (n == 0) { // malformed UTF-8: U+FFFD for one byte, as the reference does
                src = REPLACEMENT;
                from = 0;
                len = 3;
                consumed = 1;
            } else {
                src = in;
                from = pos;
                len = n;
                consumed = n;
            }
        }

        boolean isSingleSpace() {
            return len == 1 && src[from] == ' ';
        }
    }

    /** The normalized UTF-8 bytes of in[0, end). */
    Bytes normalize(byte[] in, int end) {
        Bytes out = new Bytes();
        Step step = new Step();
        int pos = 0;
        if (removeExtraWhitespaces) { // leading whitespace
            while (pos < end) {
                step.at(in, pos, end);
                if (!step.isSingleSpace()) {
                    break;
                }
                pos += step.consumed;
            }
        }
        if (pos >= end) {
            return out;
        }
        if (!whitespaceAsSuffix && addDummyPrefix) {
            space(out);
        }
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < end) {
            step.at(in, pos, end);
            int from = step.from;
            int len = step.len;
            if (prevSpace) {
                while (len > 0 && step.src[from] == ' ') {
                    from++;
                    len--;
                }
            }
            if (len > 0) {
                for (int i = 0; i < len; i++) {
                    byte b = step.src[from + i];
                    if (escapeWhitespaces && b == ' ') {
                        out.add(SPACE_SYMBOL, 0, 3);
                    } else {
                        out.add(b);
                    }
                }
                prevSpace = step.src[from + len - 1] == ' ';
            }
            pos += step.consumed;
            if (!removeExtraWhitespaces) {
                prevSpace = false;
            }
        }
        if (whitespaceAsSuffix && addDummyPrefix) {
            space(out);
        }
        if (removeExtraWhitespaces) {
            byte[] sp = escapeWhitespaces ? SPACE_SYMBOL : new byte[]{' '};
            while (out.endsWith(sp)) {
                out.n -= sp.length;
            }
        }
        return out;
    }

    private void space(Bytes out) {
        if (escapeWhitespaces) {
            out.add(SPACE_SYMBOL, 0, 3);
        } else {
            out.add((byte) ' ');
        }
    }
}
