package dev.t5pt.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input: control characters, NUL, malformed UTF-8, lone surrogates, huge lines, bad markers.
 * Expected ids were produced by python sentencepiece 0.1.97 with T5's spiece.model (on the same bytes).
 */
class TokenizerEdgeCaseTest {
    static final T5Tokenizer T5 = T5Tokenizer.t5Default();
    static final SentencePieceTokenizer SP = T5.sentencePiece();

    @Test
    void controlCharactersAndNulAsTheReference() {
        assertArrayEquals(new int[]{3, 9, 2, 115}, SP.encode("a\u0000b"));
        assertArrayEquals(new int[]{3, 2}, SP.encode("\u0000"));
        assertArrayEquals(new int[]{3, 226, 63}, SP.encode("x\u0001\u0002\u0007y"));
        assertArrayEquals(new int[]{3808, 126, 689}, SP.encode("tab\tnew\nline\r\n"));
        assertArrayEquals(new int[]{3, 2}, SP.encode("\u007f\u0080\u009f"));
        assertArrayEquals(new int[]{272, 8638}, SP.encode("\ufeffBOM"));
        assertArrayEquals(new int[]{3, 9, 3, 115}, SP.encode("a\u200db"));
    }

    @Test
    void malformedUtf8AndLoneSurrogatesAsTheReferenceDoesWithThoseBytes() {
        // sp.encode(b"ab\xffcd") and sp.encode(b"x\xed\xa0\x80y")
        String raw = Utf8.decodeSurrogateEscape("ab\u00ffcd".getBytes(StandardCharsets.ISO_8859_1), 0, 5);
        assertArrayEquals(new int[]{703, 2, 75, 26}, SP.encode(raw));
        assertArrayEquals(new int[]{3, 226, 2, 63}, SP.encode("x\ud800y"));
        assertArrayEquals(new int[]{3, 226, 2, 63}, SP.encode("x\udfffy"));
    }

    @Test
    void tenMegabyteLine() {
        StringBuilder sb = new StringBuilder();
        String chunk = "The quick brown fox jumps over the lazy dog, naïve café 日本 \u0000 ";
        while (sb.length() < 10_000_000) {
            sb.append(chunk);
        }
        int[] ids = T5.encode(sb.toString());
        assertTrue(ids.length > 2_000_000, "ids " + ids.length);
        assertEquals(1, ids[ids.length - 1]);
        // a long run of one character: every position walks at most the longest piece
        int[] spaces = SP.encode("x" + " ".repeat(5_000_000) + "y" + "a".repeat(5_000_000));
        assertTrue(spaces.length > 2);
    }

    @Test
    void markers() {
        assertArrayEquals(new int[]{32099, 1}, T5.encode("<extra_id_0>"));
        assertArrayEquals(new int[]{32000, 1}, T5.encode("<extra_id_99>"));
        assertEquals(-1, T5Tokenizer.markerNumber("<extra_id_100>", 0));
        assertEquals(-1, T5Tokenizer.markerNumber("<extra_id_07>", 0));
        assertEquals(-1, T5Tokenizer.markerNumber("<extra_id_>", 0));
        assertEquals(-1, T5Tokenizer.markerNumber("<extra_id_5", 0));
        assertEquals(-1, T5Tokenizer.markerNumber("<extra_id_٣>", 0)); // a non-ASCII digit
        for (String s : new String[]{"<extra_id_100>", "<extra_id_07>", "<extra_id_>", "<extra_id_5", "<<extra_id_1>>",
                "<extra_id_1><extra_id_2>", "<extra_id_-1>"}) {
            int[] ids = T5.encode(s);
            assertEquals(1, ids[ids.length - 1], s);
            for (int id : ids) {
                assertTrue(id >= 0 && id < 32100, s);
            }
        }
        assertArrayEquals(new int[]{32098, 32097, 1}, T5.encode("<extra_id_1><extra_id_2>"));
        // --no-sentinels: markers are text
        assertArrayEquals(SP.encode("<extra_id_0>"), T5.encode("<extra_id_0>", false, false).ids());
    }

    @Test
    void decodingDropsControlAndOutOfVocabularyIds() {
        assertEquals("Hello there", T5.decode(new int[]{0, 8774, 132, 1, 32099, 32127, 0}));
        assertEquals(" ⁇ ", T5.decode(new int[]{2}));
        assertThrows(IllegalArgumentException.class, () -> T5.decode(new int[]{-1}));
        assertThrows(IllegalArgumentException.class, () -> T5.decode(new int[]{32128}));
        assertThrows(IllegalArgumentException.class, () -> SP.decode(new int[]{32000}));
    }

    @Test
    void helloThereIdsOfTheHfIntegrationCheck() {
        // the ids of HF's T5 small integration test (the CLI's check-hf command feeds them to the model)
        assertArrayEquals(new int[]{8774, 132, 1}, T5.encode("Hello there"));
        assertArrayEquals(new int[]{2018, 27, 183, 1}, T5.encode("Hi I am"));
    }
}
