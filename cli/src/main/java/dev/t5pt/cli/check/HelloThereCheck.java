package dev.t5pt.cli.check;

import dev.t5pt.model.Batch;
import dev.t5pt.model.DetachedT5;
import dev.t5pt.model.T5Model;

/**
 * Hugging Face's published integration value for t5-small (transformers' T5 test
 * {@code test_small_integration_test}): input "Hello there", labels "Hi I am", both tokenized with EOS by
 * T5's SentencePiece vocabulary; score = −(number of label tokens × mean loss) = −19.0845 ± 1e-4.
 */
public final class HelloThereCheck {
    /** "Hello there" + EOS in T5's vocabulary: ▁Hello ▁there &lt;/s&gt;. */
    public static final int[] INPUT_IDS = {8774, 132, 1};
    /** "Hi I am" + EOS: ▁Hi ▁I ▁am &lt;/s&gt;. */
    public static final int[] LABEL_IDS = {2018, 27, 183, 1};
    public static final double EXPECTED_SCORE = -19.0845;
    public static final double TOLERANCE = 1e-4;

    private HelloThereCheck() {
    }

    /** The result: the score and whether it is within the tolerance of HF's value. */
    public record Result(double score, double loss) {
        public boolean passed() {
            return Math.abs(score - EXPECTED_SCORE) <= TOLERANCE;
        }
    }

    public static Result run(T5Model model) {
        if (model.config().vocabSize() <= INPUT_IDS[0]) {
            throw new IllegalArgumentException("this check needs a model with T5's 32k vocabulary (vocab_size "
                    + model.config().vocabSize() + " is too small); run it on t5-small");
        }
        double loss = new DetachedT5(model).loss(new Batch(new int[][]{INPUT_IDS}, null, new int[][]{LABEL_IDS}), null);
        return new Result(-(LABEL_IDS.length * loss), loss);
    }
}
