package dev.t5pt.cli;

import dev.t5pt.tokenizer.T5Tokenizer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** --vocab, shared by every command that tokenizes (a picocli mixin). */
final class VocabOption {
    @Option(names = "--vocab", paramLabel = "FILE", description = "SentencePiece model (default: T5's bundled spiece.model)")
    Path vocab;

    T5Tokenizer tokenizer() throws IOException {
        return vocab == null ? T5Tokenizer.t5Default() : T5Tokenizer.load(vocab);
    }
}
