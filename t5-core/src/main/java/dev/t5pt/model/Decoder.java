package dev.t5pt.model;

import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.layers.DecoderBlock;
import dev.t5pt.layers.RelativePositionBias;
import dev.t5pt.layers.RmsNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/** The decoder stack: causal self-attention with block 0's position bias, cross-attention to H_enc. */
public record Decoder(List<DecoderBlock> blocks, RelativePositionBias positionBias, RmsNorm finalLayerNorm) {

    /**
     * Teacher-forced. x: [B·T, D] embedded decoder input; encoderHidden: [B·L, D]; returns [B·T, D] in
     * buffer "dec.hidden" (before any tied-embedding rescale).
     */
    public INDArray forward(Kernels kr, Activations act, boolean keep, INDArray x, int batch, int len,
                            INDArray encoderHidden, int encLen, AttentionMask encoderMask) {
        int h = positionBias.heads();
        INDArray bias = act.cached("dec.bias", len, b -> positionBias.compute(len, len, 0, b), h, len, len);
        INDArray cur = x;
        for (int i = 0; i < blocks.size(); i++) {
            cur = blocks.get(i).forward(kr, act, keep ? "dec." + i : "dec.blk", cur, batch, len, encoderHidden,
                    encLen, bias, encoderMask);
        }
        INDArray out = act.get("dec.hidden", x.size(0), x.size(1));
        finalLayerNorm.forward(kr, cur, out);
        return out;
    }
}
