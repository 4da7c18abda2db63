package dev.t5pt.tune;

import java.util.List;
import java.util.Locale;

/**
 * Task metrics over predictions and targets: exact match (strings equal after trimming), accuracy
 * (equal after lower-casing and collapsing whitespace) and macro-F1 over the label set (the distinct
 * targets: per label F1 = 2·tp / (2·tp + fp + fn), averaged).
 */
public record Metrics(double exactMatch, double accuracy, double macroF1, int count) {

    public static Metrics of(List<String> predictions, List<String> targets, List<String> labels) {
        if (predictions.size() != targets.size() || targets.isEmpty()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + targets.size() + " targets");
        }
        int em = 0;
        int acc = 0;
        for (int i = 0; i < targets.size(); i++) {
            em += predictions.get(i).strip().equals(targets.get(i).strip()) ? 1 : 0;
            acc += norm(predictions.get(i)).equals(norm(targets.get(i))) ? 1 : 0;
        }
        double f1 = 0;
        for (String l : labels) {
            String nl = norm(l);
            int tp = 0;
            int fp = 0;
            int fn = 0;
            for (int i = 0; i < targets.size(); i++) {
                boolean p = norm(predictions.get(i)).equals(nl);
                boolean t = norm(targets.get(i)).equals(nl);
                tp += p && t ? 1 : 0;
                fp += p && !t ? 1 : 0;
                fn += !p && t ? 1 : 0;
            }
            f1 += 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
        }
        int n = targets.size();
        return new Metrics((double) em / n, (double) acc / n, labels.isEmpty() ? 0 : f1 / labels.size(), n);
    }

    static String norm(String s) {
        return s.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /** Most votes per example; a tie goes to the answer the earliest prompt gave. votes[prompt][example]. */
    public static List<String> majorityVote(List<List<String>> votes) {
        int n = votes.get(0).size();
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            java.util.Map<String, Integer> count = new java.util.LinkedHashMap<>();
            for (List<String> v : votes) {
                count.merge(norm(v.get(i)), 1, Integer::sum);
            }
            String best = null;
            int bestN = -1;
            for (List<String> v : votes) { // earliest prompt first, so ties keep its answer
                int c = count.get(norm(v.get(i)));
                if (c > bestN) {
                    bestN = c;
                    best = v.get(i);
                }
            }
            out[i] = best;
        }
        return List.of(out);
    }
}
