package dev.t5pt.tune;

import dev.t5pt.tokenizer.T5Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataset turned into ids (EOS appended), inputs and targets cut to their limits with EOS kept last;
 * how many were cut is reported.
 */
public record Tokenized(List<int[]> inputs, List<int[]> targets, int truncatedInputs, int truncatedTargets) {

    public static Tokenized of(Dataset data, T5Tokenizer tok, int maxInput, int maxTarget) {
        List<int[]> in = new ArrayList<>();
        List<int[]> tg = new ArrayList<>();
        int ti = 0;
        int tt = 0;
        for (Dataset.Example e : data.examples()) {
            int[] a = tok.encode(e.input());
            int[] b = tok.encode(e.target());
            if (a.length > maxInput) {
                a = cut(a, maxInput, tok.eosId());
                ti++;
            }
            if (b.length > maxTarget) {
                b = cut(b, maxTarget, tok.eosId());
                tt++;
            }
            in.add(a);
            tg.add(b);
        }
        return new Tokenized(List.copyOf(in), List.copyOf(tg), ti, tt);
    }

    static int[] cut(int[] ids, int max, int eos) {
        int[] out = java.util.Arrays.copyOf(ids, max);
        out[max - 1] = eos;
        return out;
    }

    /** Examples [from, to), counts of cut examples not kept. */
    public Tokenized slice(int from, int to) {
        return new Tokenized(inputs.subList(from, to), targets.subList(from, to), 0, 0);
    }

    public int size() {
        return inputs.size();
    }
}
