package dev.t5pt.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.t5pt.io.ProtoWire;

/**
 * The parts of a SentencePiece {@code ModelProto} (sentencepiece_model.proto) a unigram encoder needs,
 * decoded by hand from the protobuf wire format: the pieces (text, score, type), the trainer spec's
 * model type, special ids and unknown surface, and the normalizer spec (precompiled character map and the
 * whitespace flags).
 */
public record SentencePieceModel(List<Piece> pieces, int modelType, int unkId, int bosId, int eosId, int padId,
                                 String unkSurface, boolean byteFallback, boolean treatWhitespaceAsSuffix,
                                 String normalizerName, byte[] precompiledCharsmap, boolean addDummyPrefix,
                                 boolean removeExtraWhitespaces, boolean escapeWhitespaces) {

    /** ModelProto.SentencePiece.Type. */
    public enum Type { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    public record Piece(String text, float score, Type type) {
    }

    public static final int UNIGRAM = 1;

    public static SentencePieceModel load(Path file) throws IOException {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not a SentencePiece model: " + e.getMessage(), e);
        }
    }

    public static SentencePieceModel load(InputStream in, String name) throws IOException {
        try {
            return parse(in.readAllBytes());
        } catch (IllegalArgumentException e) {
            throw new IOException(name + ": not a SentencePiece model: " + e.getMessage(), e);
        }
    }

    static SentencePieceModel parse(byte[] data) {
        List<Piece> pieces = new ArrayList<>();
        ProtoWire trainer = null;
        ProtoWire normalizer = null;
        ProtoWire w = new ProtoWire(data, 0, data.length);
        while (w.more()) {
            int tag = w.varint32();
            switch (tag) {
                case (1 << 3) | 2 -> pieces.add(piece(w.message()));
                case (2 << 3) | 2 -> trainer = w.message();
                case (3 << 3) | 2 -> normalizer = w.message();
                default -> w.skip(tag);
            }
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("no pieces");
        }
        // TrainerSpec defaults (sentencepiece_model.proto)
        int modelType = UNIGRAM;
        int unk = 0;
        int bos = 1;
        int eos = 2;
        int pad = -1;
        String unkSurface = " \u2047 ";
        boolean byteFallback = false;
        boolean suffix = false;
        if (trainer != null) {
            while (trainer.more()) {
                int tag = trainer.varint32();
                switch (tag) {
                    case (3 << 3) -> modelType = trainer.varint32();
                    case (24 << 3) -> suffix = trainer.varint64() != 0;
                    case (35 << 3) -> byteFallback = trainer.varint64() != 0;
                    case (40 << 3) -> unk = trainer.varint32();
                    case (41 << 3) -> bos = trainer.varint32();
                    case (42 << 3) -> eos = trainer.varint32();
                    case (43 << 3) -> pad = trainer.varint32();
                    case (44 << 3) | 2 -> unkSurface = trainer.string();
                    default -> trainer.skip(tag);
                }
            }
        }
        // NormalizerSpec defaults
        String name = "";
        byte[] charsmap = new byte[0];
        boolean dummy = true;
        boolean removeWs = true;
        boolean escapeWs = true;
        if (normalizer != null) {
            while (normalizer.more()) {
                int tag = normalizer.varint32();
                switch (tag) {
                    case (1 << 3) | 2 -> name = normalizer.string();
                    case (2 << 3) | 2 -> charsmap = normalizer.bytes();
                    case (3 << 3) -> dummy = normalizer.varint64() != 0;
                    case (4 << 3) -> removeWs = normalizer.varint64() != 0;
                    case (5 << 3) -> escapeWs = normalizer.varint64() != 0;
                    default -> normalizer.skip(tag);
                }
            }
        }
        return new SentencePieceModel(List.copyOf(pieces), modelType, unk, bos, eos, pad, unkSurface, byteFallback,
                suffix, name, charsmap, dummy, removeWs, escapeWs);
    }

    private static Piece piece(ProtoWire w) {
        String text = "";
        float score = 0;
        Type type = Type.NORMAL;
        while (w.more()) {
            int tag = w.varint32();
            switch (tag) {
                case (1 << 3) | 2 -> text = w.string();
                case (2 << 3) | 5 -> score = Float.intBitsToFloat(w.fixed32());
                case (3 << 3) -> {
                    int t = w.varint32();
                    if (t < 1 || t > 6) {
                        throw new IllegalArgumentException("piece '" + text + "' has unknown type " + t);
                    }
                    type = Type.values()[t - 1];
                }
                default -> w.skip(tag);
            }
        }
        return new Piece(text, score, type);
    }
}
