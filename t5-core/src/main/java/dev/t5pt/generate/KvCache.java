package dev.t5pt.generate;

import dev.t5pt.model.Activations;
import dev.t5pt.model.Buffer;
import dev.t5pt.model.Encoded;
import dev.t5pt.model.PerLayer;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;


/**
 * Per decoder layer: self-attention K/V [B·H, Tmax, K] that fill one row per step, and cross-attention
 * K/V [B·H, Le, K] computed once from the encoder output. Rows past the current step hold finite stale
 * values (zero at first) that the causal mask gives zero weight.
 */
public final class KvCache {
    private final INDArray[] selfK;
    private final INDArray[] selfV;
    private final INDArray[] crossK;
    private final INDArray[] crossV;
    private final int maxSteps;

    private KvCache(int layers, int maxSteps) {
        selfK = new INDArray[layers];
        selfV = new INDArray[layers];
        crossK = new INDArray[layers];
        crossV = new INDArray[layers];
        this.maxSteps = maxSteps;
    }

    /** One decoder layer's cache buffers. */
    private record Layer(Buffer selfK, Buffer selfV, Buffer crossK, Buffer crossV) {
    }

    /** The cache's buffers in an {@link Activations}, a {@link Layer} per decoder layer. */
    private static final class Buffers {
        final PerLayer<Layer> layers;

        private Buffers(Activations act) {
            layers = new PerLayer<>(() -> new Layer(act.buffer(), act.buffer(), act.buffer(), act.buffer()));
        }

        static Buffers of(Activations act) {
            return act.workspace(Buffers.class, Buffers::new);
        }
    }

    /** Buffers for up to maxSteps positions, cross K/V filled from enc. */
    public static KvCache create(T5Model model, Activations act, Encoded enc, int maxSteps) {
        var c = model.config();
        int layers = c.numDecoderLayers();
        KvCache cache = new KvCache(layers, maxSteps);
        long bh = (long) enc.batch() * c.numHeads();
        Buffers buf = Buffers.of(act);
        for (int l = 0; l < layers; l++) {
            Layer kept = buf.layers.get(l);
            cache.selfK[l] = kept.selfK().get(bh, maxSteps, c.dKv());
            cache.selfV[l] = kept.selfV().get(bh, maxSteps, c.dKv());
            cache.crossK[l] = kept.crossK().get(bh, enc.length(), c.dKv());
            cache.crossV[l] = kept.crossV().get(bh, enc.length(), c.dKv());
            model.decoder().blocks().get(l).crossKv(model.kernels(), act, enc.hidden(), enc.batch(),
                    cache.crossK[l], cache.crossV[l]);
        }
        return cache;
    }

    public int maxSteps() {
        return maxSteps;
    }

    public INDArray selfK(int layer) {
        return selfK[layer];
    }

    public INDArray selfV(int layer) {
        return selfV[layer];
    }

    public INDArray crossK(int layer) {
        return crossK[layer];
    }

    public INDArray crossV(int layer) {
        return crossV[layer];
    }
}
