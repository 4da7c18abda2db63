package dev.t5pt.generate;

import dev.t5pt.config.T5Config;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.Encoded;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Beam search for one input: the encoder runs once over {@code beams} copies of it; each step scores every
 * live hypothesis's next token with the teacher-forced decoder over its prefix, keeps the {@code beams}
 * best continuations, and moves hypotheses that produced EOS to the finished set, scored
 * sum(log p) / length^lengthPenalty (length counts generated tokens, EOS included).
 */
public final class Beam {
    private Beam() {
    }

    /** A finished (or, at the step limit, live) hypothesis: ids without the start token, EOS included if produced. */
    public record Hypothesis(int[] ids, double logProb, double score) {
    }

    public static List<Hypothesis> search(T5Model model, Activations act, int[] inputIds, INDArray prompt, int beams,
                                          int maxSteps, double lengthPenalty) {
        if (beams < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("beams and maxSteps must be ≥ 1");
        }
        T5Config c = model.config();
        int[][] ids = new int[beams][];
        int[][] mask = new int[beams][];
        for (int b = 0; b < beams; b++) {
            ids[b] = inputIds;
            mask[b] = new int[inputIds.length];
            Arrays.fill(mask[b], 1);
        }
        Encoded enc = model.encode(act, Retain.NOTHING, Batch.inputs(ids, mask), RowPrompts.shared(prompt, beams), Dropout.NONE);
        List<Hypothesis> live = new ArrayList<>(List.of(new Hypothesis(new int[0], 0, 0)));
        List<Hypothesis> done = new ArrayList<>();
        for (int t = 0; t < maxSteps && !live.isEmpty() && done.size() < beams; t++) {
            int[][] prefixes = new int[beams][t + 1];
            for (int b = 0; b < beams; b++) {
                Hypothesis h = live.get(Math.min(b, live.size() - 1));
                prefixes[b][0] = c.decoderStartTokenId();
                System.arraycopy(h.ids(), 0, prefixes[b], 1, t);
            }
            float[][] logits = model.decodeLogits(act, false, enc, prefixes)
                    .reshape('c', beams, t + 1, c.vocabSize()).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(t), org.nd4j.linalg.indexing.NDArrayIndex.all())
                    .dup('c').toFloatMatrix();
            List<Hypothesis> candidates = new ArrayList<>();
            for (int b = 0; b < live.size(); b++) {
                double[] logp = logSoftmax(logits[b]);
                for (int tok : topK(logp, 2 * beams)) {
                    int[] next = Arrays.copyOf(live.get(b).ids(), t + 1);
                    next[t] = tok;
                    double lp = live.get(b).logProb() + logp[tok];
                    candidates.add(new Hypothesis(next, lp, lp / Math.pow(t + 1, lengthPenalty)));
                }
            }
            candidates.sort(Comparator.comparingDouble(Hypothesis::logProb).reversed());
            List<Hypothesis> nextLive = new ArrayList<>();
            for (Hypothesis h : candidates) {
                if (h.ids()[t] == c.eosTokenId()) {
                    if (done.size() < beams) {
                        done.add(h);
                    }
                } else if (nextLive.size() < beams) {
                    nextLive.add(h);
                }
                if (nextLive.size() == beams && done.size() >= beams) {
                    break;
                }
            }
            live = nextLive;
        }
        List<Hypothesis> all = new ArrayList<>(done);
        if (all.size() < beams) {
            all.addAll(live);
        }
        all.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
        return all.subList(0, Math.min(beams, all.size()));
    }

    static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - lse;
        }
        return out;
    }

    static int[] topK(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(v[b], v[a]));
        int[] out = new int[Math.min(k, v.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
