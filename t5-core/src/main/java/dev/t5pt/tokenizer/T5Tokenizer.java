package dev.t5pt.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * T5's text conventions over its SentencePiece vocabulary: {@code <extra_id_N>} markers (N = 0..99)
 * become the sentinel ids (sp_size + 99 − N, i.e. 32099 − N for T5), the text between markers is encoded
 * separately, EOS (1) is appended; pad is 0. Anything that is not exactly such a marker
 * ({@code <extra_id_100>}, {@code <extra_id_07>}, {@code <extra_id_>}) is ordinary text. Decoding drops
 * control ids and ids at or above the SentencePiece vocabulary (sentinels and the padding ids up to the
 * model's vocab_size).
 */
public final class T5Tokenizer {
    public static final int EXTRA_IDS = 100;
    private static final String MARKER = "<extra_id_";

    private final SentencePieceTokenizer sp;

    public T5Tokenizer(SentencePieceTokenizer sp) {
        this.sp = sp;
    }

    /** T5's vocabulary, shipped in the jar (Apache-2.0, see NOTICE.txt beside it). */
    public static T5Tokenizer t5Default() {
        try (InputStream in = T5Tokenizer.class.getResourceAsStream("spiece.model")) {
            if (in == null) {
                throw new IllegalStateException("the bundled T5 spiece.model is missing from the classpath");
            }
            return new T5Tokenizer(new SentencePieceTokenizer(SentencePieceModel.load(in, "bundled spiece.model")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static T5Tokenizer load(Path spieceModel) throws IOException {
        return new T5Tokenizer(SentencePieceTokenizer.load(
                dev.t5pt.io.IoErrors.requireFile(spieceModel, "a SentencePiece model file (spiece.model)")));
    }

    public SentencePieceTokenizer sentencePiece() {
        return sp;
    }

    public int eosId() {
        return sp.model().eosId();
    }

    public int padId() {
        return Math.max(sp.model().padId(), 0);
    }

    /** The sentinel id of {@code <extra_id_n>}. */
    public int sentinel(int n) {
        return sp.size() + EXTRA_IDS - 1 - n;
    }

    /** Ids with sentinels and EOS, as Hugging Face's T5Tokenizer gives them. */
    public int[] encode(String text) {
        return encode(text, true, true).ids();
    }

    /** Ids and pieces; {@code eos} appends EOS, {@code sentinels} turns markers into sentinel ids. */
    public SentencePieceTokenizer.Encoding encode(String text, boolean eos, boolean sentinels) {
        List<Integer> ids = new ArrayList<>();
        List<String> pieces = new ArrayList<>();
        int from = 0;
        if (sentinels) {
            int at = text.indexOf(MARKER);
            while (at >= 0) {
                int n = markerNumber(text, at);
                if (n >= 0) {
                    add(sp.encodeWithPieces(text.substring(from, at)), ids, pieces);
                    ids.add(sentinel(n));
                    pieces.add("<extra_id_" + n + ">");
                    from = text.indexOf('>', at) + 1;
                    at = text.indexOf(MARKER, from);
                } else {
                    at = text.indexOf(MARKER, at + 1);
                }
            }
        }
        add(sp.encodeWithPieces(text.substring(from)), ids, pieces);
        if (eos) {
            ids.add(eosId());
            pieces.add(sp.piece(eosId()));
        }
        return new SentencePieceTokenizer.Encoding(ids.stream().mapToInt(Integer::intValue).toArray(), pieces);
    }

    /** N of an exact marker {@code <extra_id_N>} at text[at] (0..99, no leading zeros), or -1. */
    static int markerNumber(String text, int at) {
        int i = at + MARKER.length();
        int start = i;
        while (i < text.length() && i - start < 3 && Character.isDigit(text.charAt(i)) && text.charAt(i) < 128) {
            i++;
        }
        if (i == start || i >= text.length() || text.charAt(i) != '>') {
            return -1;
        }
        if (i - start > 1 && text.charAt(start) == '0') {
            return -1;
        }
        int n = Integer.parseInt(text.substring(start, i));
        return n < EXTRA_IDS ? n : -1;
    }

    private static void add(SentencePieceTokenizer.Encoding e, List<Integer> ids, List<String> pieces) {
        for (int id : e.ids()) {
            ids.add(id);
        }
        pieces.addAll(e.pieces());
    }

    /** T5's model vocabulary: the pieces and 100 sentinels, padded to a multiple of 128 (32128). */
    public int modelVocabSize() {
        return (sp.size() + EXTRA_IDS + 127) / 128 * 128;
    }

    /**
     * Text of ids: control ids and ids from the SentencePiece vocabulary's size up to {@link #modelVocabSize}
     * (sentinels, padding rows) vanish; ids outside [0, modelVocabSize) are an error.
     */
    public String decode(int[] ids) {
        for (int id : ids) {
            if (id < 0 || id >= modelVocabSize()) {
                throw new IllegalArgumentException("id " + id + " is outside T5's vocabulary [0, " + modelVocabSize() + ")");
            }
        }
        int[] kept = java.util.Arrays.stream(ids).filter(id -> id < sp.size()).toArray();
        return sp.decode(kept);
    }
}
