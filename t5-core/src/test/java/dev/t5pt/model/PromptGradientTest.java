package dev.t5pt.model;

import dev.t5pt.Fixtures;
import dev.t5pt.Fixtures.Case;
import dev.t5pt.GradCheck;
import dev.t5pt.config.FeedForwardProj;
import dev.t5pt.config.T5Config;
import dev.t5pt.io.RandomWeights;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.Nd4jKernels;
import dev.t5pt.kernels.VectorKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.t5pt.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dLoss/dPrompt through the frozen model: fixtures, finite differences in double, checkpointing, bad input. */
class PromptGradientTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Case c : Fixtures.allCases()) {
            for (boolean ckpt : new boolean[]{false, true}) {
                out.add(Arguments.of(c, new VectorKernels(), ckpt));
                out.add(Arguments.of(c, new Nd4jKernels(), ckpt));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} checkpointing={2}")
    @MethodSource("cases")
    void fixturePromptGrad(Case c, Kernels k, boolean checkpointing) throws IOException {
        T5Model m = T5Model.load(Fixtures.dir(c.model()), k);
        Batch batch = new Batch(c.ints("input_ids"), c.ints("attention_mask"), c.ints("labels"));
        PromptGradient g = m.lossAndPromptGrad(new Activations(), batch, c.get("prompt"), checkpointing, Dropout.NONE, 0);
        assertClose("prompt_grad", g.grad(), c.get("prompt_grad"), 1e-4);
        assertEquals(c.get("loss").getDouble(0), g.loss(), 1e-4 * g.loss());
    }

    @Test
    void checkpointingGivesTheSameGradientToFloatNoise() throws IOException {
        Case c = Fixtures.cases("tiny-lm-adapt-prompt").get(1);
        T5Model m = T5Model.load(Fixtures.dir(c.model()));
        Batch batch = new Batch(c.ints("input_ids"), c.ints("attention_mask"), c.ints("labels"));
        INDArray full = m.lossAndPromptGrad(new Activations(), batch, c.get("prompt"), false, Dropout.NONE, 0).grad().dup();
        INDArray ckpt = m.lossAndPromptGrad(new Activations(), batch, c.get("prompt"), true, Dropout.NONE, 0).grad().dup();
        assertClose("checkpointed vs full", ckpt, full, 1e-6);
    }

    /** The whole backward in double precision against central differences of the loss, both T5 variants. */
    @ParameterizedTest
    @EnumSource(FeedForwardProj.class)
    void wholeModelFiniteDifferencesInDouble(FeedForwardProj ffn) throws IOException {
        boolean tied = ffn == FeedForwardProj.RELU;
        T5Config cfg = new T5Config(23, 8, 4, 12, 2, 3, 2, 8, 16, 0.0, 1e-6, ffn, tied, 0, 1, 0);
        T5Model m = T5Model.build(cfg, new RandomWeights(5, DataType.DOUBLE), new Nd4jKernels());
        Batch batch = new Batch(new int[][]{{5, 9, 13, 1, 0}, {7, 22, 1, 0, 0}}, new int[][]{{1, 1, 1, 1, 0}, {1, 1, 1, 0, 0}},
                new int[][]{{4, 18, 1}, {3, 1, -100}});
        Nd4j.getRandom().setSeed(9);
        INDArray prompt = Nd4j.randn(DataType.DOUBLE, 3, cfg.dModel()).muli(0.5);
        Activations act = new Activations(DataType.DOUBLE);
        INDArray grad = m.lossAndPromptGrad(act, batch, prompt, false, Dropout.NONE, 0).grad().dup();
        Activations fwd = new Activations(DataType.DOUBLE);
        double err = GradCheck.error(prompt, grad, () -> m.forward(fwd, Retain.NOTHING, batch, RowPrompts.shared(prompt, batch.size()), Dropout.NONE).loss(), 1e-5);
        assertTrue(err <= 1e-6, "relative error " + err);
        INDArray ckpt = m.lossAndPromptGrad(act, batch, prompt, true, Dropout.NONE, 0).grad();
        assertTrue(Fixtures.normwiseError(ckpt, grad) <= 1e-12, "checkpointing in double");

        // with dropout: a fixed seed makes the loss a deterministic function of P, the same masks in backward
        Dropout dropout = new Dropout(0.3f, 77).forStep(5);
        INDArray dgrad = m.lossAndPromptGrad(act, batch, prompt, false, dropout, 0).grad().dup();
        Activations dfwd = new Activations(DataType.DOUBLE);
        double derr = GradCheck.error(prompt, dgrad, () -> m.lossAndPromptGrad(dfwd, batch, prompt, false, dropout, 0).loss(), 1e-5);
        assertTrue(derr <= 1e-6, "with dropout: relative error " + derr);
        INDArray dckpt = m.lossAndPromptGrad(act, batch, prompt, true, dropout, 0).grad();
        assertTrue(Fixtures.normwiseError(dckpt, dgrad) <= 1e-12, "checkpointing with dropout");
        assertTrue(Fixtures.normwiseError(dgrad, grad) > 1e-3, "dropout changes the gradient");
    }

    @Test
    void badInputsAreClearErrors() throws IOException {
        Case c = Fixtures.cases("tiny-v1_1").get(0);
        T5Model m = T5Model.load(Fixtures.dir(c.model()));
        Batch batch = new Batch(c.ints("input_ids"), c.ints("attention_mask"), c.ints("labels"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> m.lossAndPromptGrad(new Activations(), batch, Nd4j.zeros(DataType.FLOAT, 4, 47), false, Dropout.NONE, 0));
        assertTrue(e.getMessage().contains("[prompt_length, 48]") && e.getMessage().contains("[4, 47]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Batch(new int[0][], null, null));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        int[][] ignored = {{-100, -100}, {-100, -100}};
        Batch none = new Batch(c.ints("input_ids"), c.ints("attention_mask"), ignored);
        e = assertThrows(IllegalArgumentException.class,
                () -> m.lossAndPromptGrad(new Activations(), none, c.get("prompt"), false, Dropout.NONE, 0));
        assertTrue(e.getMessage().contains("-100") && e.getMessage().contains("undefined"), e.getMessage());
    }
}
