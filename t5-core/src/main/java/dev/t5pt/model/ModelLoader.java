package dev.t5pt.model;

import dev.t5pt.config.FeedForwardProj;
import dev.t5pt.config.T5Config;
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
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Builds a {@link T5Model} from HF state-dict names; reads like the key tree. */
final class ModelLoader {
    private final T5Config c;
    private final WeightSource w;

    private ModelLoader(T5Config c, WeightSource w) {
        this.c = c;
        this.w = w;
    }

    static T5Model build(T5Config config, WeightSource store, Kernels kernels) throws IOException {
        return new ModelLoader(config, store).build(kernels);
    }

    private T5Model build(Kernels kernels) throws IOException {
        INDArray shared = w.get("shared.weight", c.vocabSize(), c.dModel());
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
        Linear head = c.tieWordEmbeddings() ? new Linear(shared) : new Linear(w.get("lm_head.weight", c.vocabSize(), c.dModel()));
        return new T5Model(c, kernels, shared, encoder, decoder, head);
    }

    private RmsNorm norm(String key) throws IOException {
        return new RmsNorm(w.get(key, c.dModel()), (float) c.layerNormEpsilon());
    }

    private Linear linear(String key, int out, int in) throws IOException {
        return new Linear(w.get(key, out, in));
    }

    private Attention attention(String p) throws IOException {
        int inner = c.innerDim();
        INDArray q = w.get(p + "q.weight", inner, c.dModel());
        INDArray k = w.get(p + "k.weight", inner, c.dModel());
        INDArray v = w.get(p + "v.weight", inner, c.dModel());
        Attention a = Attention.of(q, k, v, w.get(p + "o.weight", c.dModel(), inner), c.numHeads(), c.dKv());
        // the stacked copy is all that is kept: free the loaded parts now rather than whenever the GC runs
        q.close();
        k.close();
        v.close();
        return a;
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
