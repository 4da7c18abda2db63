package dev.t5pt.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 helpers with SentencePiece's rules. */
public final class Utf8 {
    private Utf8() {
    }

    /** Byte length of the character starting at b[pos] as SentencePiece's OneCharLen counts it (lead byte only). */
    static int oneCharLen(byte[] b, int pos) {
        int c = (b[pos] & 0xff) >>> 4;
        return c < 0x8 ? 1 : c < 0xC ? 1 : c < 0xE ? 2 : c == 0xE ? 3 : 4;
    }

    /** Length of a valid UTF-8 character at b[pos] (shortest form, no surrogates, ≤ U+10FFFF), else 0. */
    static int validCharLength(byte[] b, int pos, int end) {
        int c = b[pos] & 0xff;
        if (c < 0x80) {
            return 1;
        }
        int n;
        int min;
        int cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            min = 0x80;
            cp = c & 0x1f;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            min = 0x800;
            cp = c & 0x0f;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            min = 0x10000;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (pos + n > end) {
            return 0;
        }
        for (int i = 1; i < n; i++) {
            int x = b[pos + i] & 0xff;
            if ((x & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (x & 0x3f);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        return n;
    }

    /**
     * UTF-8 bytes of a Java string, with the two kinds of unpaired surrogate mapped to the bytes the
     * reference would have seen: U+DC80..U+DCFF are raw bytes 0x80..0xFF carried through a string
     * (Python's "surrogateescape", see {@link #decodeSurrogateEscape}); any other lone surrogate becomes
     * its 3-byte WTF-8 form. Both are malformed UTF-8, which SentencePiece turns into U+FFFD byte by byte.
     */
    static byte[] encode(String s) {
        byte[] out = new byte[s.length() * 3];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | (c >> 6));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out[n++] = (byte) (0xF0 | (cp >> 18));
                out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (cp & 0x3F));
            } else if (c >= 0xDC80 && c <= 0xDCFF) {
                out[n++] = (byte) (c & 0xFF);
            } else {
                out[n++] = (byte) (0xE0 | (c >> 12));
                out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Decodes UTF-8, carrying each byte of a malformed sequence as U+DC80+byte (inverse of {@link #encode}). */
    public static String decodeSurrogateEscape(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int n = validCharLength(b, i, to);
            if (n == 0) {
                sb.append((char) (0xDC00 | (b[i] & 0xFF)));
                i++;
            } else {
                sb.append(new String(b, i, n, StandardCharsets.UTF_8));
                i += n;
            }
        }
        return sb.toString();
    }
}
