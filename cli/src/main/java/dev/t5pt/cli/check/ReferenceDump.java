package dev.t5pt.cli.check;

import dev.t5pt.generate.Greedy;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.io.SafetensorsWriter;
import dev.t5pt.layers.RelativePositionBias;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Decoder;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.Encoder;
import dev.t5pt.model.Forward;
import dev.t5pt.model.Retain;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Computes, for every case of an input file in the fixtures' layout ({@code <case>/input_ids},
 * {@code <case>/attention_mask}, {@code <case>/labels}, optional {@code <case>/prompt}), the tensors the
 * reference fixtures hold, under the same names, dtypes and shapes, so a reimplementation can be checked
 * tensor by tensor against any reference.
 */
public final class ReferenceDump {
    private ReferenceDump() {
    }

    /** Case names in file order. */
    public static List<String> caseNames(SafetensorsFile in) {
        Set<String> names = new LinkedHashSet<>();
        for (String key : in.tensors().keySet()) {
            int slash = key.indexOf('/');
            if (slash > 0) {
                names.add(key.substring(0, slash));
            }
        }
        return new ArrayList<>(names);
    }

    /** Dumps every case of {@code inputs} to {@code out} (written atomically); progress names each case. */
    public static int dumpFile(T5Model model, Path inputs, Path out, int greedySteps, Consumer<String> progress)
            throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        int n = 0;
        try (SafetensorsFile in = SafetensorsFile.open(inputs)) {
            List<String> names = caseNames(in);
            if (names.isEmpty()) {
                throw new IOException(inputs + ": no '<case>/input_ids' tensors found");
            }
            for (String c : names) {
                progress.accept(c);
                Map<String, INDArray> tensors;
                try {
                    tensors = dumpCase(model, readInputs(in, c), greedySteps);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(inputs + ": case '" + c + "': " + e.getMessage(), e);
                }
                tensors.forEach((k, v) -> w.put(c + "/" + k, v));
                n++;
            }
        }
        w.metadata("format", "pt").metadata("producer", "t5pt dump");
        w.write(out);
        return n;
    }

    /** The inputs of one case. */
    public record Inputs(int[][] inputIds, int[][] attentionMask, int[][] labels, INDArray prompt) {
    }

    public static Inputs readInputs(SafetensorsFile in, String c) throws IOException {
        INDArray prompt = in.contains(c + "/prompt") ? in.read(c + "/prompt") : null;
        return new Inputs(ints(in, c + "/input_ids"), ints(in, c + "/attention_mask"), ints(in, c + "/labels"),
                prompt);
    }

    private static int[][] ints(SafetensorsFile in, String key) throws IOException {
        if (!in.contains(key)) {
            throw new IOException(in.path() + ": missing tensor '" + key + "' (I64 [B, L])");
        }
        INDArray a = in.read(key);
        if (a.rank() != 2 || !a.dataType().isIntType()) {
            throw new IOException(in.path() + ": tensor '" + key + "' must be an integer [B, L] tensor, found "
                    + a.dataType() + " " + java.util.Arrays.toString(a.shape()));
        }
        long[][] l = a.toLongMatrix();
        int[][] out = new int[l.length][l[0].length];
        for (int i = 0; i < l.length; i++) {
            for (int j = 0; j < l[i].length; j++) {
                if (l[i][j] < Integer.MIN_VALUE || l[i][j] > Integer.MAX_VALUE) {
                    throw new IOException(in.path() + ": " + key + "[" + i + "][" + j + "] = " + l[i][j] + " is out of range");
                }
                out[i][j] = (int) l[i][j];
            }
        }
        return out;
    }

    /** Every tensor for one case, keyed by the fixtures' short names. */
    public static Map<String, INDArray> dumpCase(T5Model model, Inputs in, int greedySteps) {
        var cfg = model.config();
        Batch batch = new Batch(in.inputIds(), in.attentionMask(), in.labels());
        Map<String, INDArray> out = new LinkedHashMap<>();
        Activations act = new Activations();
        int p = in.prompt() == null ? 0 : (int) in.prompt().size(0);
        int le = p + batch.inputLength();
        int t = batch.targetLength();
        int b = batch.size();

        int[][] decIds = Batch.shiftRight(batch.labels(), cfg.decoderStartTokenId(), cfg.padTokenId());
        out.put("decoder_input_ids", longs(decIds));
        out.put("encoder_attention_mask_ext", longs(Batch.extendMask(batch.attentionMask(), p)));
        out.put("enc_rel_buckets", longs(buckets(le, true, cfg.relativeAttentionNumBuckets(), cfg.relativeAttentionMaxDistance())));
        out.put("dec_rel_buckets", longs(buckets(t, false, cfg.relativeAttentionNumBuckets(), cfg.relativeAttentionMaxDistance())));
        INDArray encBias = Nd4j.create(DataType.FLOAT, cfg.numHeads(), le, le);
        model.encoder().positionBias().compute(le, le, 0, encBias);
        out.put("enc_position_bias", encBias);
        INDArray decBias = Nd4j.create(DataType.FLOAT, cfg.numHeads(), t, t);
        model.decoder().positionBias().compute(t, t, 0, decBias);
        out.put("dec_position_bias", decBias);
        batch.checkIds(cfg.vocabSize());
        model.checkPrompt(in.prompt());
        RowPrompts prompts = RowPrompts.shared(in.prompt(), b);
        out.put("embedded_input", model.embed(act, batch.inputIds(), prompts)
                .reshape('c', b, le, cfg.dModel()).dup());

        Forward f = model.forward(act, Retain.ALL, batch, prompts, Dropout.NONE);
        out.put("enc_layer0_out", Encoder.blockOutput(act, 0).reshape('c', b, le, cfg.dModel()).dup());
        out.put("dec_layer0_out", Decoder.blockOutput(act, 0).reshape('c', b, t, cfg.dModel()).dup());
        out.put("encoder_hidden", f.encoderHidden().dup());
        out.put("decoder_hidden", f.decoderHidden().dup());
        out.put("logits", f.logits().dup());
        out.put("loss", Nd4j.createFromArray((float) f.loss()));
        if (in.prompt() != null) {
            Forward n = model.forward(act, Retain.NOTHING, batch, RowPrompts.shared(null, b), Dropout.NONE);
            out.put("noprompt_encoder_hidden", n.encoderHidden().dup());
            out.put("noprompt_logits", n.logits().dup());
            out.put("noprompt_loss", Nd4j.createFromArray((float) n.loss()));
        } else {
            out.put("noprompt_encoder_hidden", f.encoderHidden().dup());
            out.put("noprompt_logits", f.logits().dup());
            out.put("noprompt_loss", Nd4j.createFromArray((float) f.loss()));
        }
        if (in.prompt() != null) {
            out.put("prompt_grad", model.lossAndPromptGrad(act, batch, in.prompt(), false, Dropout.NONE, 0).grad().dup());
        }
        greedy(model, act, batch, null, greedySteps, "noprompt", out);
        if (in.prompt() != null) {
            greedy(model, act, batch, in.prompt(), greedySteps, "prompt", out);
        }
        return out;
    }

    private static void greedy(T5Model model, Activations act, Batch batch, INDArray prompt, int steps, String variant,
                               Map<String, INDArray> out) {
        INDArray logits = Nd4j.create(DataType.FLOAT, batch.size(), steps, model.config().vocabSize());
        int[][] ids = Greedy.generate(model, act, Batch.inputs(batch.inputIds(), batch.attentionMask()), prompt,
                new Greedy.Options(steps, false),
                (t, l) -> logits.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()).assign(l));
        out.put("greedy_ids_" + variant, longs(ids));
        out.put("greedy_logits_" + variant, logits);
    }

    static int[][] buckets(int len, boolean bidirectional, int numBuckets, int maxDistance) {
        int[][] out = new int[len][len];
        for (int i = 0; i < len; i++) {
            for (int j = 0; j < len; j++) {
                out[i][j] = RelativePositionBias.bucket(j - i, bidirectional, numBuckets, maxDistance);
            }
        }
        return out;
    }

    static INDArray longs(int[][] v) {
        long[][] l = new long[v.length][];
        for (int i = 0; i < v.length; i++) {
            l[i] = new long[v[i].length];
            for (int j = 0; j < v[i].length; j++) {
                l[i][j] = v[i][j];
            }
        }
        return Nd4j.createFromArray(l);
    }
}
