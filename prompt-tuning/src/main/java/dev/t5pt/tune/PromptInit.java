package dev.t5pt.tune;

import dev.t5pt.io.PromptFiles;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How a soft prompt [P, d_model] starts, as in the paper and the official repository: uniform random,
 * sampled vocabulary (rows of the embedding table among the most frequent pieces), class labels (each
 * label's embedding, averaged over its pieces, fills one slot; the rest sampled vocabulary), a text's
 * embedding (cut or repeated to length), or a file.
 */
public sealed interface PromptInit {
    /** The first ids after T5's specials (pad 0, EOS 1, unk 2) are the most frequent pieces. */
    int FIRST_ORDINARY_ID = 3;

    INDArray create(T5Model model, T5Tokenizer tok, int length, Random rnd) throws IOException;

    /** Uniform in [−range, range]; the paper's random init uses 0.5. */
    record Uniform(double range) implements PromptInit {
        @Override
        public INDArray create(T5Model model, T5Tokenizer tok, int length, Random rnd) {
            float[] v = new float[length * model.config().dModel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((rnd.nextDouble() * 2 - 1) * range);
            }
            return Nd4j.create(v, new long[]{length, model.config().dModel()}, 'c');
        }
    }

    /** Embedding rows of ids drawn from the {@code topK} most frequent pieces (distinct while P ≤ topK). */
    record SampledVocab(int topK) implements PromptInit {
        @Override
        public INDArray create(T5Model model, T5Tokenizer tok, int length, Random rnd) {
            int usable = model.config().vocabSize() - FIRST_ORDINARY_ID;
            return rows(model, new SampledVocab(Math.min(topK, usable)).sample(length, rnd));
        }

        int[] sample(int n, Random rnd) {
            int pool = Math.max(1, topK);
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < pool; i++) {
                ids.add(FIRST_ORDINARY_ID + i);
            }
            java.util.Collections.shuffle(ids, rnd);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = i < ids.size() ? ids.get(i) : FIRST_ORDINARY_ID + rnd.nextInt(pool);
            }
            return out;
        }
    }

    /** One slot per class label (its pieces' embeddings averaged), the remaining slots sampled vocabulary. */
    record ClassLabels(List<String> labels, int topK) implements PromptInit {
        @Override
        public INDArray create(T5Model model, T5Tokenizer tok, int length, Random rnd) {
            if (labels.isEmpty()) {
                throw new SettingException("init", "labels: the training data has no labels to initialise from");
            }
            INDArray p = new SampledVocab(topK).create(model, tok, length, rnd);
            for (int i = 0; i < Math.min(length, labels.size()); i++) {
                int[] ids = tok.encode(labels.get(i), false, true).ids();
                if (ids.length == 0) {
                    continue;
                }
                p.putRow(i, rows(model, ids).mean(0));
            }
            return p;
        }
    }

    /** The embedding of a text's pieces, repeated or cut to the prompt length. */
    record Text(String text) implements PromptInit {
        @Override
        public INDArray create(T5Model model, T5Tokenizer tok, int length, Random rnd) {
            int[] ids = tok.encode(text, false, true).ids();
            if (ids.length == 0) {
                throw new SettingException("init", "text: \"" + text + "\" has no tokens");
            }
            int[] rep = new int[length];
            for (int i = 0; i < length; i++) {
                rep[i] = ids[i % ids.length];
            }
            return rows(model, rep);
        }
    }

    /** A prompt from a PEFT directory, .npy or .safetensors; its length must match. */
    record FromFile(Path path) implements PromptInit {
        @Override
        public INDArray create(T5Model model, T5Tokenizer tok, int length, Random rnd) throws IOException {
            INDArray p = PromptFiles.read(path, model.config().dModel());
            if (p.size(0) != length) {
                throw new IOException(path + ": the prompt has " + p.size(0) + " rows, the run's prompt length (promptLength) is " + length);
            }
            return p;
        }
    }

    /** Rows of the embedding table: [ids.length, d_model]. */
    private static INDArray rows(T5Model model, int[] ids) {
        for (int id : ids) {
            if (id >= model.config().vocabSize()) {
                throw new IllegalArgumentException("id " + id + " is outside the model's vocabulary of " + model.config().vocabSize());
            }
        }
        return model.embeddings(ids);
    }

    /**
     * Parses the spec: {@code uniform[:RANGE]}, {@code vocab[:TOPK]}, {@code labels[:TOPK]} (labels from
     * the training targets), {@code text:TEXT}, {@code file:PATH}.
     */
    static PromptInit parse(String spec, List<String> labels) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String arg = colon < 0 ? null : spec.substring(colon + 1);
        try {
            return switch (kind) {
                case "uniform" -> new Uniform(arg == null ? 0.5 : Double.parseDouble(arg));
                case "vocab" -> new SampledVocab(arg == null ? 5000 : Integer.parseInt(arg));
                case "labels" -> new ClassLabels(labels, arg == null ? 5000 : Integer.parseInt(arg));
                case "text" -> new Text(arg == null ? "" : arg);
                case "file" -> new FromFile(Path.of(arg == null ? "" : arg));
                default -> throw new SettingException("init", "expected uniform[:RANGE], vocab[:TOPK], "
                        + "labels[:TOPK], text:TEXT or file:PATH, found \"" + spec + "\"");
            };
        } catch (NumberFormatException e) {
            throw new SettingException("init", spec + ": not a number after ':'");
        }
    }
}
