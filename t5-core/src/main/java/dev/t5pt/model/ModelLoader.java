package dev.t5pt.model;

import dev.t5pt.config.FeedForwardProj;
import dev.t5pt.config.T5Config;
import dev.t5pt.config.T5Keys;
import dev.t5pt.io.WeightSource;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.layers.Attention;
import dev.t5pt.layers.DecoderBlock;
import dev.t5pt.layers.EncoderBlock;
import dev.t5pt.layers.FeedForward;
import dev.t5pt.layers.LayerCrossAttention;
import dev.t5pt.layers.LayerFF;
import dev.t5pt.layers.LayerSelfAttention;
import dev.t5pt.layers.Linear;
import dev.t5pt.layers.RelativePositionBias;
import dev.t5pt.layers.RmsNorm;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightFormat;
import dev.t5pt.weights.WeightOptions;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Builds a {@link T5Model} from HF state-dict names; reads like the key tree. */
final class ModelLoader {
    private final T5Config c;
    private final WeightSource w;
    private final WeightOptions held;

    private ModelLoader(T5Config c, WeightSource w, WeightOptions held) {
        this.c = c;
        this.w = w;
        this.held = held;
    }

    /**
     * The keys keep-in-float32 patterns are matched against: every tensor a model of this config reads, and
     * lm_head, as which a tied embedding is held.
     */
    static Set<String> keepKeys(T5Config config) {
        Set<String> keys = new TreeSet<>(T5Keys.expected(config).keySet());
        keys.add("lm_head.weight");
        return keys;
    }

    static T5Model build(T5Config config, WeightSource store, Kernels kernels, WeightOptions held) throws IOException {
        return new ModelLoader(config, store, held).build(kernels);
    }

    private T5Model build(Kernels kernels) throws IOException {
        // a tied embedding is also the LM head, read whole for every token: it is held as lm_head would be
        String sharedAs = c.tieWordEmbeddings() ? "lm_head.weight" : "shared.weight";
        Frozen shared = w.matrix("shared.weight", held.formatOf(sharedAs), exactPerRow(sharedAs), c.vocabSize(), c.dModel());
        List<EncoderBlock> enc = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.block." + i + ".layer.";
            enc.add(new EncoderBlock(
                    new LayerSelfAttention(norm(p + "0.layer_norm.weight"), attention(p + "0.SelfAttention.")),
                    new LayerFF(norm(p + "1.layer_norm.weight"), feedForward(p + "1.DenseReluDense."))));
        }
        List<DecoderBlock> dec = new ArrayList<>();
        for (int i = 0; i < c.numDecoderLayers(); i++) {
            String p = "decoder.block." + i + ".layer.";
            dec.add(new DecoderBlock(
                    new LayerSelfAttention(norm(p + "0.layer_norm.weight"), attention(p + "0.SelfAttention.")),
                    new LayerCrossAttention(norm(p + "1.layer_norm.weight"), attention(p + "1.EncDecAttention.")),
                    new LayerFF(norm(p + "2.layer_norm.weight"), feedForward(p + "2.DenseReluDense."))));
        }
        Encoder encoder = new Encoder(enc, positionBias("encoder.", true), norm("encoder.final_layer_norm.weight"));
        Decoder decoder = new Decoder(dec, positionBias("decoder.", false), norm("decoder.final_layer_norm.weight"));
        Linear head = new Linear(c.tieWordEmbeddings() ? shared : matrix("lm_head.weight", c.vocabSize(), c.dModel()));
        return new T5Model(c, kernels, shared, encoder, decoder, head);
    }

    private RmsNorm norm(String key) throws IOException {
        return new RmsNorm(w.get(key, c.dModel()), (float) c.layerNormEpsilon());
    }

    private Frozen matrix(String key, int rows, int cols) throws IOException {
        return w.matrix(key, held.formatOf(key), exactPerRow(key), rows, cols);
    }

    /**
     * Exact values per row of the matrix under key when it is held as int8 ({@link Frozen.Int8}): the blocks'
     * matrices, whose rounding compounds through the layers, get {@link Frozen.Int8#EXACT_PER_ROW}; the LM head,
     * whose rounding reaches the logits once, gets none — on the fixtures and their redrawn twins exact values
     * in the head changed nothing, and at T5-small its 32128 rows are half of the rows a decoded token reads
     * (benchmarks/SPEED_LOG.md, eighteenth session).
     */
    private static int exactPerRow(String key) {
        return key.equals("lm_head.weight") ? 0 : Frozen.Int8.EXACT_PER_ROW;
    }

    private Linear linear(String key, int out, int in) throws IOException {
        return new Linear(matrix(key, out, in));
    }

    private Attention attention(String p) throws IOException {
        int inner = c.innerDim();
        // q, k and v are stacked into one matrix of one format: float32 for all if a keep pattern names any
        boolean keep = Stream.of("q", "k", "v").anyMatch(n -> held.formatOf(p + n + ".weight") == WeightFormat.F32);
        WeightFormat f = keep ? WeightFormat.F32 : held.format();
        Frozen qkv = w.stacked(List.of(p + "q.weight", p + "k.weight", p + "v.weight"), f, Frozen.Int8.EXACT_PER_ROW,
                inner, c.dModel());
        return Attention.fused(qkv, matrix(p + "o.weight", c.dModel(), inner), c.numHeads(), c.dKv());
    }

    private FeedForward feedForward(String p) throws IOException {
        if (c.feedForwardProj() == FeedForwardProj.RELU) {
            return new FeedForward.DenseReluDense(linear(p + "wi.weight", c.dFf(), c.dModel()),
                    linear(p + "wo.weight", c.dModel(), c.dFf()));
        }
        return new FeedForward.DenseGatedGeluDense(linear(p + "wi_0.weight", c.dFf(), c.dModel()),
                linear(p + "wi_1.weight", c.dFf(), c.dModel()), linear(p + "wo.weight", c.dModel(), c.dFf()));
    }

    private RelativePositionBias positionBias(String stack, boolean bidirectional) throws IOException {
        INDArray table = w.get(stack + "block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                c.relativeAttentionNumBuckets(), c.numHeads());
        return new RelativePositionBias(table, bidirectional, c.relativeAttentionNumBuckets(),
                c.relativeAttentionMaxDistance());
    }
}
