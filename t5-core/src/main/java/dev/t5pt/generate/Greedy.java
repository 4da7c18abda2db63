package dev.t5pt.generate;

import dev.t5pt.config.T5Config;
import dev.t5pt.layers.DecoderBlock;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Buffer;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.Encoded;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

/**
 * Greedy decoding: from decoder_start_token_id, the argmax of each step's logits, until every row has
 * produced EOS (when asked) or maxSteps. With a KV cache each step costs one position; {@link #uncached}
 * reruns the whole decoder prefix each step and is kept as the reference the cached path must match.
 */
public final class Greedy {
    private Greedy() {
    }

    /** Options: the step limit and whether a row stops after its EOS (stopped rows then emit pad). */
    public record Options(int maxSteps, boolean stopAtEos) {
        public Options {
            if (maxSteps < 1) {
                throw new IllegalArgumentException("maxSteps: expected ≥ 1, found " + maxSteps);
            }
        }
    }

    /** What greedy decoding keeps in an {@link Activations} besides the cache. */
    private static final class Buffers {
        final Buffer allBias;            // [H, Tmax, Tmax] the decoder's position bias, once per Tmax
        final Buffer stepBias;           // [H, 1, Tmax] the row of the current step
        final Buffer x;                  // [B, D] the new tokens' embeddings
        final Buffer hidden;             // [B, D] the decoder's output
        final DecoderBlock.Buffers block; // every block's step

        private Buffers(Activations act) {
            allBias = act.buffer();
            stepBias = act.buffer();
            x = act.buffer();
            hidden = act.buffer();
            block = new DecoderBlock.Buffers(act);
        }

        static Buffers of(Activations act) {
            return act.workspace(Buffers.class, Buffers::new);
        }
    }

    /** Generated ids [B][steps] (the start token excluded; rows that stopped early padded with pad). */
    public static int[][] generate(T5Model model, Activations act, Batch batch, INDArray prompt, Options opt,
                                   StepListener listener) {
        return generate(model, act, batch, RowPrompts.shared(prompt, batch.size()), opt, listener);
    }

    /** Greedy decoding with a prompt per row (mixed-task batches, prompt ensembles). */
    public static int[][] generate(T5Model model, Activations act, Batch batch, RowPrompts prompts, Options opt,
                                   StepListener listener) {
        T5Config c = model.config();
        Encoded enc = model.encode(act, Retain.NOTHING, batch, prompts, Dropout.NONE);
        KvCache cache = KvCache.create(model, act, enc, opt.maxSteps());
        int b = batch.size();
        int[] tokens = new int[b];
        Arrays.fill(tokens, c.decoderStartTokenId());
        boolean[] done = new boolean[b];
        int[][] out = new int[b][opt.maxSteps()];
        int heads = c.numHeads();
        var bias = model.decoder().positionBias();
        Buffers buf = Buffers.of(act);
        INDArray allBias = buf.allBias.cached(opt.maxSteps(),
                a -> bias.compute(opt.maxSteps(), opt.maxSteps(), 0, a), heads, opt.maxSteps(), opt.maxSteps());
        INDArray stepBias = buf.stepBias.get(heads, 1, opt.maxSteps());
        int steps = 0;
        for (int t = 0; t < opt.maxSteps(); t++) {
            stepBias.reshape('c', heads, opt.maxSteps())
                    .assign(allBias.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()));
            INDArray x = buf.x.get(b, c.dModel());
            model.kernels().gatherRows(model.shared(), tokens, x, 0);
            for (int l = 0; l < c.numDecoderLayers(); l++) {
                DecoderBlock block = model.decoder().blocks().get(l);
                x = block.step(model.kernels(), act, buf.block, x, b, t, cache.selfK(l), cache.selfV(l),
                        cache.crossK(l), cache.crossV(l), stepBias, enc.mask());
            }
            INDArray h = buf.hidden.get(b, c.dModel());
            model.decoder().finalLayerNorm().forward(model.kernels(), x, h);
            if (listener.wantsLogits()) {
                INDArray logits = model.logits(act, h);
                listener.onStep(t, logits);
                model.kernels().argmaxRows(logits, tokens); // the first maximum on ties, as torch.argmax
            } else {
                model.argmaxLogits(act, h, tokens);  // the same ids without every logit
            }
            steps = t + 1;
            if (record(tokens, done, out, t, c, opt.stopAtEos())) {
                break;
            }
        }
        return trim(out, steps);
    }

    /** The reference: each step runs the teacher-forced decoder over the whole prefix. */
    public static int[][] uncached(T5Model model, Activations act, Batch batch, INDArray prompt, Options opt,
                                   StepListener listener) {
        T5Config c = model.config();
        Encoded enc = model.encode(act, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE);
        int b = batch.size();
        int[][] prefix = new int[b][1];
        for (int[] row : prefix) {
            row[0] = c.decoderStartTokenId();
        }
        int[] tokens = new int[b];
        boolean[] done = new boolean[b];
        int[][] out = new int[b][opt.maxSteps()];
        int steps = 0;
        for (int t = 0; t < opt.maxSteps(); t++) {
            INDArray logits = model.decodeLogits(act, false, enc, prefix);
            INDArray last = logits.reshape('c', b, t + 1, c.vocabSize())
                    .get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()).dup('c');
            listener.onStep(t, last);
            steps = t + 1;
            model.kernels().argmaxRows(last, tokens);
            boolean finished = record(tokens, done, out, t, c, opt.stopAtEos());
            for (int r = 0; r < b; r++) {
                prefix[r] = Arrays.copyOf(prefix[r], t + 2);
                prefix[r][t + 1] = tokens[r];
            }
            if (finished) {
                break;
            }
        }
        return trim(out, steps);
    }

    /** The picked tokens into out[:, t] (pad for rows already done); returns true when every row is done. */
    private static boolean record(int[] tokens, boolean[] done, int[][] out, int t, T5Config c, boolean stopAtEos) {
        boolean all = true;
        for (int r = 0; r < tokens.length; r++) {
            int id = done[r] ? c.padTokenId() : tokens[r];
            out[r][t] = id;
            tokens[r] = id;
            if (stopAtEos && id == c.eosTokenId()) {
                done[r] = true;
            }
            all &= done[r];
        }
        return stopAtEos && all;
    }

    private static int[][] trim(int[][] out, int steps) {
        if (steps == out[0].length) {
            return out;
        }
        int[][] t = new int[out.length][];
        for (int r = 0; r < out.length; r++) {
            t[r] = Arrays.copyOf(out[r], steps);
        }
        return t;
    }
}
