package dev.t5pt.tune;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Counts of (gold label, predicted label) for a classification task, labels compared as accuracy compares them
 * (case and whitespace folded); a prediction outside the label set is counted under "(other)".
 * counts[gold][predicted], predicted index labels.size() = other.
 */
public record ConfusionMatrix(List<String> labels, int[][] counts) {
    /** Label sets up to this size are printed as a matrix; larger ones are free-form generation. */
    public static final int MAX_LABELS = 20;

    public static ConfusionMatrix of(List<String> predictions, List<String> targets, List<String> labels) {
        List<String> norm = labels.stream().map(Metrics::norm).toList();
        int[][] c = new int[labels.size()][labels.size() + 1];
        for (int i = 0; i < targets.size(); i++) {
            int g = norm.indexOf(Metrics.norm(targets.get(i)));
            int p = norm.indexOf(Metrics.norm(predictions.get(i)));
            c[g][p < 0 ? labels.size() : p]++;
        }
        return new ConfusionMatrix(List.copyOf(labels), c);
    }

    /** Rows gold, columns predicted, as aligned text lines. */
    public List<String> lines() {
        List<String> head = new ArrayList<>(labels);
        head.add("(other)");
        String corner = "gold \\ predicted";
        int w = Math.max(5, head.stream().mapToInt(String::length).max().orElse(5));
        String fmt = "%-" + Math.max(corner.length(), w) + "s";
        List<String> out = new ArrayList<>();
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, fmt, corner));
        head.forEach(l -> h.append("  ").append(String.format(Locale.ROOT, "%" + w + "s", l)));
        out.add(h.toString());
        for (int g = 0; g < labels.size(); g++) {
            StringBuilder r = new StringBuilder(String.format(Locale.ROOT, fmt, labels.get(g)));
            for (int n : counts[g]) {
                r.append("  ").append(String.format(Locale.ROOT, "%" + w + "d", n));
            }
            out.add(r.toString());
        }
        return out;
    }
}
