package example;

import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.StepListener;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.io.PromptFiles;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;

/** Text in, label out: a frozen T5 and a trained soft prompt. Run from the repository root. */
public class Classify {
    public static void main(String[] args) throws Exception {
        T5Model model = T5Model.load(Path.of("models/tiny-t5-demo"));       // config.json + model.safetensors
        T5Tokenizer tok = T5Tokenizer.t5Default();                          // T5's SentencePiece vocabulary
        INDArray prompt = PromptFiles.read(Path.of("models/tiny-t5-demo/prompts/sentiment"),
                model.config().dModel());                                   // a PEFT adapter directory or .npy: [P, d_model]
        List<String> labels = List.of("positive", "negative");              // the task's label words

        String[] texts = args.length > 0 ? args : new String[]{
                "review: the plot is enjoyable", "review: this movie is quite clumsy and horrible"};
        int[][] ids = new int[texts.length][];
        for (int i = 0; i < texts.length; i++) {
            ids[i] = tok.encode(texts[i]);                                  // SentencePiece ids + EOS
        }
        int[][] out = Greedy.generate(model, new Activations(), Batch.padded(ids), prompt,
                new Greedy.Options(4, true), StepListener.NONE);            // greedy decoding, stops at EOS
        for (int i = 0; i < texts.length; i++) {
            String text = tok.decode(out[i]);                               // ids back to text
            String label = labels.contains(text) ? text : "(no label: \"" + text + "\")";
            System.out.println(label + "\t" + texts[i]);
        }
    }
}
