package dev.t5pt.model;

import dev.t5pt.Fixtures;
import dev.t5pt.Fixtures.Case;
import dev.t5pt.generate.Greedy;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.Nd4jKernels;
import dev.t5pt.kernels.VectorKernels;
import dev.t5pt.layers.RelativePositionBias;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.t5pt.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every tensor of the HF-verified fixtures the forward pass computes, with both kernel sets. */
class FixtureForwardTest {
    static final double TOL = 1e-4; // fixture READMEs: norm-wise 1e-4 for floats; ids and gathers exact

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Case c : Fixtures.allCases()) {
            out.add(Arguments.of(c, new VectorKernels()));
            out.add(Arguments.of(c, new Nd4jKernels()));
        }
        return out.stream();
    }

    static T5Model model(Case c, Kernels k) throws IOException {
        return T5Model.load(Fixtures.dir(c.model()), k);
    }

    static Batch batch(Case c) {
        return new Batch(c.ints("input_ids"), c.ints("attention_mask"), c.ints("labels"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void indexMathAndGathers(Case c, Kernels k) throws IOException {
        T5Model m = model(c, k);
        var cfg = m.config();
        Batch b = batch(c);
        INDArray prompt = c.get("prompt");
        int p = (int) prompt.size(0);
        assertArrayEquals(c.ints("decoder_input_ids"),
                Batch.shiftRight(b.labels(), cfg.decoderStartTokenId(), cfg.padTokenId()));
        assertArrayEquals(c.ints("encoder_attention_mask_ext"), Batch.extendMask(b.attentionMask(), p));
        int[][] enc = c.ints("enc_rel_buckets");
        for (int i = 0; i < enc.length; i++) {
            for (int j = 0; j < enc.length; j++) {
                assertEquals(enc[i][j], RelativePositionBias.bucket(j - i, true, cfg.relativeAttentionNumBuckets(),
                        cfg.relativeAttentionMaxDistance()), "enc bucket " + i + "," + j);
            }
        }
        int[][] dec = c.ints("dec_rel_buckets");
        for (int i = 0; i < dec.length; i++) {
            for (int j = 0; j < dec.length; j++) {
                assertEquals(dec[i][j], RelativePositionBias.bucket(j - i, false, cfg.relativeAttentionNumBuckets(),
                        cfg.relativeAttentionMaxDistance()), "dec bucket " + i + "," + j);
            }
        }
        Activations act = new Activations();
        INDArray x = m.embed(act, b.inputIds(), RowPrompts.shared(prompt, b.size()));
        assertEquals(c.get("embedded_input"), x.reshape(c.get("embedded_input").shape()), "embedded_input");
        int le = enc.length;
        INDArray eb = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, cfg.numHeads(), le, le);
        m.encoder().positionBias().compute(le, le, 0, eb);
        assertEquals(c.get("enc_position_bias"), eb, "enc_position_bias");
        int t = dec.length;
        INDArray db = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, cfg.numHeads(), t, t);
        m.decoder().positionBias().compute(t, t, 0, db);
        assertEquals(c.get("dec_position_bias"), db, "dec_position_bias");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardWithAndWithoutPrompt(Case c, Kernels k) throws IOException {
        T5Model m = model(c, k);
        Activations act = new Activations();
        Forward f = m.forward(act, Retain.ALL, batch(c), RowPrompts.shared(c.get("prompt"), c.ints("input_ids").length), Dropout.NONE);
        assertClose("enc_layer0_out", Encoder.blockOutput(act, 0).reshape(c.get("enc_layer0_out").shape()),
                c.get("enc_layer0_out"), TOL);
        assertClose("dec_layer0_out", Decoder.blockOutput(act, 0).reshape(c.get("dec_layer0_out").shape()),
                c.get("dec_layer0_out"), TOL);
        assertClose("encoder_hidden", f.encoderHidden(), c.get("encoder_hidden"), TOL);
        assertClose("decoder_hidden", f.decoderHidden(), c.get("decoder_hidden"), TOL);
        assertClose("logits", f.logits(), c.get("logits"), TOL);
        assertLoss("loss", f.loss(), c.get("loss"));

        Forward n = m.forward(act, Retain.NOTHING, batch(c), RowPrompts.shared(null, c.ints("input_ids").length), Dropout.NONE);
        assertClose("noprompt_encoder_hidden", n.encoderHidden(), c.get("noprompt_encoder_hidden"), TOL);
        assertClose("noprompt_logits", n.logits(), c.get("noprompt_logits"), TOL);
        assertLoss("noprompt_loss", n.loss(), c.get("noprompt_loss"));
    }

    static void assertLoss(String what, double actual, INDArray expected) {
        double e = expected.getDouble(0);
        if (!(Math.abs(actual - e) / Math.abs(e) <= TOL)) {
            throw new AssertionError(what + ": " + actual + " vs expected " + e);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void greedyCachedAndUncachedMatchFixture(Case c, Kernels k) throws IOException {
        T5Model m = model(c, k);
        for (String variant : new String[]{"prompt", "noprompt"}) {
            INDArray prompt = variant.equals("prompt") ? c.get("prompt") : null;
            int[][] expected = c.ints("greedy_ids_" + variant);
            INDArray expectedLogits = c.get("greedy_logits_" + variant);
            var opt = new Greedy.Options(expected[0].length, false);
            Batch b = Batch.inputs(c.ints("input_ids"), c.ints("attention_mask"));
            INDArray cachedLogits = Nd4j.create(expectedLogits.dataType(), expectedLogits.shape());
            int[][] cached = Greedy.generate(m, new Activations(), b, prompt, opt,
                    (t, l) -> cachedLogits.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(t),
                            org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(l));
            int[][] uncached = Greedy.uncached(m, new Activations(), b, prompt, opt, (t, l) -> { });
            int[][] picked = Greedy.generate(m, new Activations(), b, prompt, opt, dev.t5pt.generate.StepListener.NONE);
            assertArrayEquals(expected, cached, variant + " cached ids");
            assertArrayEquals(expected, picked, variant + " cached ids, picked without the logits");
            assertArrayEquals(expected, uncached, variant + " uncached ids");
            assertClose("greedy_logits_" + variant, cachedLogits, expectedLogits, TOL);
        }
    }
}
