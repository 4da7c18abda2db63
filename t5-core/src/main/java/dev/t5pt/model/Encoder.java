package dev.t5pt.model;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.layers.EncoderBlock;
import dev.t5pt.layers.RelativePositionBias;
import dev.t5pt.layers.RmsNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/** The encoder stack: blocks sharing block 0's bidirectional position bias, then a final RMS norm. */
public record Encoder(List<EncoderBlock> blocks, RelativePositionBias positionBias, RmsNorm finalLayerNorm) {

    /**
     * x: [B·L, D] embedded input (prompt rows included); returns H_enc [B·L, D] in buffer "enc.hidden".
     * With {@code keep} every block's activations stay in their own buffers ("enc.{i}.*") for backward;
     * without, blocks share one set.
     */
    public INDArray forward(Kernels kr, Activations act, boolean keep, INDArray x, int batch, int len,
                            AttentionMask mask) {
        int h = positionBias.heads();
        INDArray bias = act.cached("enc.bias", len, b -> positionBias.compute(len, len, 0, b), h, len, len);
        INDArray cur = x;
        for (int i = 0; i < blocks.size(); i++) {
            cur = blocks.get(i).forward(kr, act, keep ? "enc." + i : "enc.blk", cur, batch, len, bias, mask);
        }
        INDArray out = act.get("enc.hidden", x.size(0), x.size(1));
        finalLayerNorm.forward(kr, cur, out);
        return out;
    }
}
