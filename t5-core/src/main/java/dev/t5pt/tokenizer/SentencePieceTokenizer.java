package dev.t5pt.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece unigram tokenizer that gives exactly the reference implementation's ids (python
 * sentencepiece 0.1.97): normalization through the model's precompiled character map and whitespace
 * rules, then the optimized Viterbi search over the pieces' scores (float arithmetic and tie-breaking as
 * the reference), unknown characters as the unknown id with consecutive unknowns merged; control pieces
 * never match text. Thread-safe and immutable.
 *
 * <p>Input handling: text arrives as a Java string and is encoded to UTF-8 as {@link Utf8#encode} says:
 * raw bytes carried as U+DC80..U+DCFF ("surrogateescape") and other lone surrogates reach the normalizer
 * as malformed bytes, which it replaces by U+FFFD one byte at a time exactly as the reference does with
 * invalid UTF-8 (they end up as one merged unknown). NUL and other control characters are ordinary
 * characters (the character map removes most controls; NUL becomes unknown), as in the reference.
 * Time is linear in the input length (each position looks at most at the longest piece's length).
 */
public final class SentencePieceTokenizer {
    private final SentencePieceModel model;
    private final Normalizer normalizer;
    private final PieceTrie trie;
    private final String[] pieces;
    private final float[] scores;
    private final SentencePieceModel.Type[] types;
    private final float unkScore;
    private final float maxScore;
    private final int unkId;

    public SentencePieceTokenizer(SentencePieceModel model) {
        if (model.modelType() != SentencePieceModel.UNIGRAM) {
            throw new IllegalArgumentException("only unigram SentencePiece models are supported (model_type "
                    + model.modelType() + ")");
        }
        this.model = model;
        this.normalizer = new Normalizer(model);
        int n = model.pieces().size();
        pieces = new String[n];
        scores = new float[n];
        types = new SentencePieceModel.Type[n];
        float min = Float.MAX_VALUE;
        float max = Float.MIN_VALUE;
        List<byte[]> spellings = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var p = model.pieces().get(i);
            pieces[i] = p.text();
            scores[i] = p.score();
            types[i] = p.type();
            if (p.type() == SentencePieceModel.Type.NORMAL) {
                min = Math.min(min, p.score());
                max = Math.max(max, p.score());
            }
            boolean inTrie = p.type() == SentencePieceModel.Type.NORMAL || p.type() == SentencePieceModel.Type.USER_DEFINED
                    || p.type() == SentencePieceModel.Type.UNUSED;
            if (inTrie && !p.text().isEmpty()) {
                spellings.add(PieceTrie.utf8(p.text()));
                ids.add(i);
            }
        }
        this.trie = new PieceTrie(spellings, ids);
        this.unkScore = min - 10.0f;
        this.maxScore = max;
        this.unkId = model.unkId();
        if (unkId < 0 || unkId >= n) {
            throw new IllegalArgumentException("unk_id " + unkId + " is outside the " + n + " pieces");
        }
    }

    public static SentencePieceTokenizer load(Path spieceModel) throws IOException {
        return new SentencePieceTokenizer(SentencePieceModel.load(spieceModel));
    }

    public SentencePieceModel model() {
        return model;
    }

    /** Number of pieces. */
    public int size() {
        return pieces.length;
    }

    public String piece(int id) {
        return pieces[id];
    }

    public boolean isControl(int id) {
        return types[id] == SentencePieceModel.Type.CONTROL;
    }

    /** The ids of text, as {@code sp.encode(text)}. */
    public int[] encode(String text) {
        return encodeWithPieces(text).ids();
    }

    /** Ids and their pieces, as {@code sp.encode_as_pieces} (a merged unknown run shows as the unknown piece). */
    public record Encoding(int[] ids, List<String> pieces) {
    }

    public Encoding encodeWithPieces(String text) {
        byte[] in = Utf8.encode(text);
        Normalizer.Bytes norm = normalizer.normalize(in, in.length);
        return viterbi(norm.a, norm.n);
    }

    /** Best segmentation of s[0, size) (SentencePiece's optimized unigram Viterbi). */
    private Encoding viterbi(byte[] s, int size) {
        if (size == 0) {
            return new Encoding(new int[0], List.of());
        }
        float[] best = new float[size + 1];
        int[] startsAt = new int[size + 1];
        int[] idAt = new int[size + 1];
        java.util.Arrays.fill(startsAt, -1);
        int start = 0;
        while (start < size) {
            float tillHere = best[start];
            int mblen = Math.min(Utf8.oneCharLen(s, start), size - start);
            boolean single = false;
            int node = 0;
            for (int pos = start; pos < size; pos++) {
                node = trie.child(node, s[pos]);
                if (node < 0) {
                    break;
                }
                int id = trie.value(node);
                if (id < 0 || types[id] == SentencePieceModel.Type.UNUSED) {
                    continue;
                }
                int end = pos + 1;
                int length = end - start;
                double score = types[id] == SentencePieceModel.Type.USER_DEFINED
                        ? (double) (length * maxScore) - 0.1 : scores[id];
                double candidate = score + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) {
                    best[end] = (float) candidate;
                    startsAt[end] = start;
                    idAt[end] = id;
                }
                if (length == mblen) {
                    single = true;
                }
            }
            if (!single) {
                int end = start + mblen;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) {
                    best[end] = candidate;
                    startsAt[end] = start;
                    idAt[end] = unkId;
                }
            }
            start += mblen;
        }
        // backtrack, then merge runs of unknowns
        int count = 0;
        for (int end = size; end > 0; end = startsAt[end]) {
            count++;
        }
        int[] ends = new int[count];
        int k = count;
        for (int end = size; end > 0; end = startsAt[end]) {
            ends[--k] = end;
        }
        int[] ids = new int[count];
        List<String> out = new ArrayList<>(count);
        int n = 0;
        for (int end : ends) {
            int id = idAt[end];
            if (id != unkId || n == 0 || ids[n - 1] != unkId) {
                ids[n++] = id;
                out.add(pieces[id]);
            }
        }
        return new Encoding(java.util.Arrays.copyOf(ids, n), out);
    }

    /**
     * Text of ids, as {@code sp.decode(ids)}: control pieces vanish, the unknown piece becomes the unknown
     * surface (" ⁇ "), "▁" becomes a space and the first one of the text is dropped.
     */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException("id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
            }
            if (isControl(id)) {
                continue;
            }
            if (id == unkId) {
                sb.append(model.unkSurface());
                continue;
            }
            String p = pieces[id];
            if (sb.length() == 0 && p.startsWith("\u2581")) {
                p = p.substring(1);
            }
            sb.append(p.replace('\u2581', ' '));
        }
        return sb.toString();
    }
}
