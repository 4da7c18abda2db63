package dev.t5pt.generate;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Texts in, texts out: tokenize, generate (greedy in batches of {@link Options#batchSize} texts, or beam search one
 * text at a time), cut at EOS, decode. Slices of the texts at multiples of {@link Options#batchRows()} make the same
 * batches, so a slice's outputs are those of the whole run (what distributed generation relies on).
 */
public final class TextGenerator {
    /** How to generate: greedy when beam is 1. */
    public record Options(int batchSize, int maxSteps, int beam, double lengthPenalty) implements java.io.Serializable {
        public Options {
            if (batchSize < 1 || maxSteps < 1 || beam < 1) {
                throw new IllegalArgumentException("batch size, steps and beam width must be ≥ 1, found " + batchSize
                        + ", " + maxSteps + ", " + beam);
            }
        }

        /** Texts per batch. */
        public int batchRows() {
            return beam == 1 ? batchSize : 1;
        }
    }

    /** One text's generation: the decoded text and its ids (EOS cut). */
    public record Output(String text, int[] ids) implements java.io.Serializable {
    }

    private TextGenerator() {
    }

    /** The outputs of texts in order; prompt [P, d_model] or null. */
    public static List<Output> generate(T5Model model, T5Tokenizer tok, Activations act, List<String> texts, INDArray prompt,
                                        Options opt) {
        List<Output> out = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += opt.batchRows()) {
            int to = Math.min(texts.size(), from + opt.batchRows());
            List<int[]> gen = new ArrayList<>();
            if (opt.beam() == 1) {
                int[][] ids = new int[to - from][];
                for (int i = from; i < to; i++) {
                    ids[i - from] = tok.encode(texts.get(i));
                }
                gen.addAll(Arrays.asList(Greedy.generate(model, act, Batch.padded(ids), prompt,
                        new Greedy.Options(opt.maxSteps(), true), StepListener.NONE)));
            } else {
                gen.add(Beam.search(model, act, tok.encode(texts.get(from)), prompt, opt.beam(), opt.maxSteps(),
                        opt.lengthPenalty()).get(0).ids());
            }
            for (int[] g : gen) {
                int[] ids = untilEos(g, tok.eosId());
                out.add(new Output(tok.decode(ids), ids));
            }
        }
        return out;
    }

    /** Ids up to (not including) the first EOS. */
    public static int[] untilEos(int[] ids, int eos) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == eos) {
                return Arrays.copyOf(ids, i);
            }
        }
        return ids;
    }
}
