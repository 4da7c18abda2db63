package dev.t5pt.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 helpers with SentencePiece's rules. */
final class Utf8 {
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

    /** UTF-8 bytes of a Java string; a lone surrogate becomes U+FFFD (Java cannot represent it in UTF-8). */
    static byte[] encode(String s) {
        CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .replaceWith(new byte[]{(byte) 0xEF, (byte) 0xBF, (byte) 0xBD});
        try {
            ByteBuffer bb = enc.encode(CharBuffer.wrap(s));
            byte[] out = new byte[bb.remaining()];
            bb.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
