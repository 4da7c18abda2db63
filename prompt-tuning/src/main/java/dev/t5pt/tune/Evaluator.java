package dev.t5pt.tune;

import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.TextGenerator;
import dev.t5pt.generate.StepListener;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates prompts on a tokenized dataset. Several prompts (an ensemble, the paper's Table 3) run in
 * one batch: each example is repeated once per prompt, the rows differing only in their prompt.
 */
public final class Evaluator {
    private final T5Model model;
    private final T5Tokenizer tok;
    private final Activations act;
    private final int batchSize;
    private final int maxDecodeSteps;

    public Evaluator(T5Model model, T5Tokenizer tok, Activations act, int batchSize, int maxDecodeSteps) {
        if (batchSize < 1 || maxDecodeSteps < 1) {
            throw new IllegalArgumentException("evaluation batch size and decode steps must be ≥ 1");
        }
        this.model = model;
        this.tok = tok;
        this.act = act;
        this.batchSize = batchSize;
        this.maxDecodeSteps = maxDecodeSteps;
    }

    /**
     * Examples per generation batch of batchSize rows for this many prompts (each example repeated per prompt):
     * slices of the data at multiples of it make the same batches.
     */
    public static int generationRows(int batchSize, int prompts) {
        return Math.max(1, batchSize / prompts);
    }

    /** Examples per rank-classification batch of batchSize rows for this many candidates. */
    public static int rankRows(int batchSize, int candidates) {
        return Math.max(1, batchSize / candidates);
    }

    /** Greedy predictions of every prompt (null = no prompt): result.get(j).get(i) is prompt j's answer for example i. */
    public List<List<String>> generate(Tokenized data, List<INDArray> prompts) {
        int np = prompts.size();
        List<List<String>> out = new ArrayList<>();
        for (int j = 0; j < np; j++) {
            out.add(new ArrayList<>());
        }
        int perBatch = generationRows(batchSize, np);
        for (int from = 0; from < data.size(); from += perBatch) {
            int to = Math.min(data.size(), from + perBatch);
            List<Integer> rows = new ArrayList<>();
            INDArray[] rowPrompts = new INDArray[(to - from) * np];
            for (int i = from; i < to; i++) {
                for (int j = 0; j < np; j++) {
                    rowPrompts[rows.size()] = prompts.get(j);
                    rows.add(i);
                }
            }
            Batch b = Batcher.pad(data, rows);
            int[][] ids = Greedy.generate(model, act, Batch.inputs(b.inputIds(), b.attentionMask()),
                    RowPrompts.of(rowPrompts), new Greedy.Options(maxDecodeSteps, true), StepListener.NONE);
            for (int r = 0; r < ids.length; r++) {
                out.get(r % np).add(tok.decode(TextGenerator.untilEos(ids[r], tok.eosId())));
            }
        }
        return out;
    }

    /** Rank classification: for each example the candidate with the lowest NLL under each prompt. */
    public List<List<String>> rank(Tokenized data, List<INDArray> prompts, List<String> candidates) {
        int[][] cand = new int[candidates.size()][];
        for (int c = 0; c < cand.length; c++) {
            cand[c] = tok.encode(candidates.get(c));
        }
        List<List<String>> out = new ArrayList<>();
        for (INDArray prompt : prompts) {
            List<String> preds = new ArrayList<>();
            int perBatch = rankRows(batchSize, cand.length);
            for (int from = 0; from < data.size(); from += perBatch) {
                int to = Math.min(data.size(), from + perBatch);
                List<Integer> rows = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    rows.add(i);
                }
                INDArray[] p = new INDArray[rows.size()];
                Arrays.fill(p, prompt);
                for (double[] scores : RankClassification.scores(model, act, Batcher.pad(data, rows), p, cand)) {
                    preds.add(candidates.get(RankClassification.best(scores)));
                }
            }
            out.add(preds);
        }
        return out;
    }
}
