package dev.t5pt.model;

import dev.t5pt.config.T5Config;
import dev.t5pt.io.WeightStore;
import dev.t5pt.kernels.AttentionMask;
import dev.t5pt.kernels.Kernels;
import dev.t5pt.kernels.QuantizedRows;
import dev.t5pt.weights.Frozen;
import dev.t5pt.weights.WeightOptions;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A frozen T5 encoder-decoder: immutable weights shared by every caller, computing into an
 * {@link Activations} the caller owns (one per thread); {@link DetachedT5} wraps it for callers who want
 * copies from one synchronized set of buffers instead.
 *
 * <p>Legend: B batch, p prompt length, L input length, Le = p + L, T target length, D d_model, V vocabulary.
 */
public final class T5Model {
    private final T5Config config;
    private final Kernels kernels;
    private final Frozen shared;     // [V, D]
    private final Encoder encoder;
    private final Decoder decoder;
    private final dev.t5pt.layers.Linear lmHead; // [V, D]
    private final float logitScale;  // d_model^-0.5 when tied (T5 v1.0), else 1
    private volatile QuantizedRows headScreen;       // greedy decoding's 8-bit head copy, made on first use

    /** What the model keeps in an {@link Activations} around the encoder and decoder stacks. */
    private static final class Buffers {
        final Buffer encoderInput;   // [B·(p+L), D] prompts and token embeddings
        final Buffer decoderInput;   // [B·T, D] embeddings of the shifted labels
        final Buffer headInput;      // [N, D] decoder output × d_model^-0.5 (tied head)
        final Buffer logits;         // [N, V]
        final Buffer dLogits;        // [N, V] backward
        final Buffer dDecoderHidden; // [B·T, D]
        final Buffer dEncoderHidden; // [B·(p+L), D]
        final Buffer promptGrad;     // [p, D]

        private Buffers(Activations act) {
            encoderInput = act.buffer();
            decoderInput = act.buffer();
            headInput = act.buffer();
            logits = act.buffer();
            dLogits = act.buffer();
            dDecoderHidden = act.buffer();
            dEncoderHidden = act.buffer();
            promptGrad = act.buffer();
        }

        static Buffers of(Activations act) {
            return act.workspace(Buffers.class, Buffers::new);
        }
    }

    T5Model(T5Config config, Kernels kernels, Frozen shared, Encoder encoder, Decoder decoder,
            dev.t5pt.layers.Linear lmHead) {
        this.config = config;
        this.kernels = kernels;
        this.shared = shared;
        this.encoder = encoder;
        this.decoder = decoder;
        this.lmHead = lmHead;
        this.logitScale = config.tieWordEmbeddings() ? (float) Math.pow(config.dModel(), -0.5) : 1f;
    }

    /**
     * Loads {@code config.json} and the safetensors weights of a HF-layout model directory (or of the directory
     * of a {@code config.json} given instead).
     */
    public static T5Model load(Path dir) throws IOException {
        return load(dir, Kernels.forBackend());
    }

    /** {@link #load(Path)} with the matrices held as {@code held} says (bfloat16, int8, ...). */
    public static T5Model load(Path dir, WeightOptions held) throws IOException {
        return load(dir, Kernels.forBackend(), held);
    }

    public static T5Model load(Path dir, Kernels kernels) throws IOException {
        return load(dir, kernels, WeightOptions.AS_STORED);
    }

    public static T5Model load(Path dir, Kernels kernels, WeightOptions held) throws IOException {
        dir = modelDir(dir);
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null,
                    Files.exists(dir) ? "expected a model directory (config.json + model.safetensors), found a file" : "no such model directory (expected config.json and model.safetensors in it)");
        }
        T5Config config = T5Config.load(dir.resolve("config.json"));
        try (WeightStore store = WeightStore.open(dir)) {
            held.requireMatches(ModelLoader.keepKeys(config), store.location());
            return ModelLoader.build(config, store, kernels, held);
        }
    }

    /** The model directory a user means: the path itself, or the directory of a {@code config.json} given instead. */
    public static Path modelDir(Path path) {
        Path name = path.getFileName();
        if (name != null && name.toString().equals("config.json") && Files.isRegularFile(path)) {
            Path parent = path.toAbsolutePath().getParent();
            return parent;
        }
        return path;
    }

    /** A model of the given shape whose tensors come from any source (e.g. seeded random weights). */
    public static T5Model build(T5Config config, dev.t5pt.io.WeightSource weights, Kernels kernels) throws IOException {
        return build(config, weights, kernels, WeightOptions.AS_STORED);
    }

    /** {@link #build(T5Config, dev.t5pt.io.WeightSource, Kernels)} with the matrices held as {@code held} says. */
    public static T5Model build(T5Config config, dev.t5pt.io.WeightSource weights, Kernels kernels, WeightOptions held)
            throws IOException {
        return ModelLoader.build(config, weights, kernels, held);
    }

    /** A seeded random-weight model of the given shape, for benchmarks and tests. */
    public static T5Model random(T5Config config, long seed) {
        return random(config, seed, WeightOptions.AS_STORED);
    }

    /** A seeded random-weight model whose matrices are drawn straight into the format {@code held} asks for. */
    public static T5Model random(T5Config config, long seed, WeightOptions held) {
        held.requireMatches(ModelLoader.keepKeys(config), "a random-weight model");
        try {
            return ModelLoader.build(config, new dev.t5pt.io.RandomWeights(seed), Kernels.forBackend(), held);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public T5Config config() {
        return config;
    }

    public Kernels kernels() {
        return kernels;
    }

    /** The token embedding table [V, D], as held. */
    public Frozen shared() {
        return shared;
    }

    /** The embeddings of the given token ids in float32: a new array [n, D]. */
    public INDArray embeddings(int... ids) {
        INDArray out = Nd4j.create(computeType(), ids.length, config.dModel());
        kernels.gatherRows(shared, ids, out, 0);
        return out;
    }

    /** The type activations and prompts have: FLOAT (DOUBLE only for double-precision gradient checks). */
    public DataType computeType() {
        return shared instanceof Frozen.F32 f ? f.array().dataType() : DataType.FLOAT;
    }

    /** Bytes held by the frozen matrices (embedding, projections, head; norms and position tables not counted). */
    public long heldBytes() {
        return shared.heldBytes() + (lmHead.weight() == shared ? 0 : lmHead.weight().heldBytes())
                + encoder.heldBytes() + decoder.heldBytes();
    }

    public Encoder encoder() {
        return encoder;
    }

    public Decoder decoder() {
        return decoder;
    }

    /** Checks a soft prompt: [p, d_model], p ≥ 1, of the model's type (FLOAT); null means no prompt. */
    public void checkPrompt(INDArray prompt) {
        if (prompt == null) {
            return;
        }
        if (prompt.rank() != 2 || prompt.size(1) != config.dModel() || prompt.size(0) < 1) {
            throw new IllegalArgumentException("prompt: expected shape [prompt_length, " + config.dModel()
                    + "], found " + Arrays.toString(prompt.shape()));
        }
        if (prompt.dataType() != computeType()) {
            throw new IllegalArgumentException("prompt: expected " + computeType() + " like the model, found "
                    + prompt.dataType());
        }
    }

    /** [P_b ; shared[ids_b] ; zero rows up to the longest prompt] per row, the encoder's input: [B·(pmax+L), D]. */
    public INDArray embed(Activations act, int[][] ids, RowPrompts prompts) {
        int pmax = prompts.maxLength();
        int len = ids[0].length;
        int le = pmax + len;
        INDArray x = Buffers.of(act).encoderInput.get((long) ids.length * le, config.dModel());
        for (int b = 0; b < ids.length; b++) {
            long row = (long) b * le;
            int p = prompts.length(b);
            if (p > 0) {
                INDArray pr = prompts.rows()[b];
                kernels.copyRows(pr.ordering() == 'c' && !pr.isView() ? pr : pr.dup('c'), x, row);
            }
            kernels.gatherRows(shared, ids[b], x, row + p);
            if (p < pmax) {
                x.get(NDArrayIndex.interval(row + p + len, row + le), NDArrayIndex.all()).assign(0);
            }
        }
        return x;
    }

    /**
     * Runs the encoder over [P_b ; E(ids_b)] with the prompt-extended mask (a prompt per row, see
     * {@link RowPrompts}; {@link RowPrompts#shared} for one), keeping what {@code retain} says; dropout for
     * training, {@link Dropout#NONE} in eval mode.
     */
    public Encoded encode(Activations act, Retain retain, Batch batch, RowPrompts prompts, Dropout dropout) {
        batch.checkIds(config.vocabSize());
        if (prompts.batch() != batch.size()) {
            throw new IllegalArgumentException("prompts: " + prompts.batch() + " rows for a batch of " + batch.size());
        }
        for (INDArray p : prompts.rows()) {
            checkPrompt(p);
        }
        int pmax = prompts.maxLength();
        int len = pmax + batch.inputLength();
        AttentionMask.KeyPadding mask = AttentionMask.KeyPadding.of(prompts.extendMask(batch.attentionMask()));
        INDArray x = embed(act, batch.inputIds(), prompts);
        Encoder.Pass pass = encoder.forward(kernels, act, retain, x, batch.size(), len, mask, dropout);
        return new Encoded(pass.hidden(), batch.size(), len, pmax, mask, pass);
    }

    /** The teacher-forced decoder over decoderIds [B, T], with dropout for training ({@link Dropout#NONE}: eval). */
    public Decoder.Pass decode(Activations act, boolean keep, Encoded enc, int[][] decoderIds, Dropout dropout) {
        int t = decoderIds[0].length;
        INDArray y = Buffers.of(act).decoderInput.get((long) enc.batch() * t, config.dModel());
        for (int b = 0; b < decoderIds.length; b++) {
            kernels.gatherRows(shared, decoderIds[b], y, (long) b * t);
        }
        return decoder.forward(kernels, act, keep, y, enc.batch(), t, enc.hidden(), enc.length(), enc.mask(), dropout);
    }

    /** Teacher-forced decoder over decoderIds [B, T]; returns logits [B·T, V]. */
    public INDArray decodeLogits(Activations act, boolean keep, Encoded enc, int[][] decoderIds) {
        return logits(act, decode(act, keep, enc, decoderIds, Dropout.NONE).hidden());
    }

    /** logits = (h · scale)·W_headᵀ for decoder output h [N, D]: [N, V], one of act's buffers. */
    public INDArray logits(Activations act, INDArray hidden) {
        INDArray in = headInput(act, hidden);
        INDArray logits = Buffers.of(act).logits.get(hidden.size(0), config.vocabSize());
        lmHead.forward(kernels, in, logits);
        return logits;
    }

    /**
     * out[n] = argmax of the logits of hidden[n] (the first on ties) as {@link #logits} then argmaxRows give it,
     * without computing every logit where the kernels can screen (an 8-bit copy of the head, made on first use;
     * up to {@link Kernels#MATVEC_MAX_ROWS} rows, more go through the logits). hidden: [N, D].
     */
    public void argmaxLogits(Activations act, INDArray hidden, int[] out) {
        // an int8 head is read whole: its 1-byte rows cost what the 8-bit screen costs
        if (hidden.size(0) > Kernels.MATVEC_MAX_ROWS || lmHead.weight() instanceof Frozen.Int8) {
            kernels.argmaxRows(logits(act, hidden), out);
            return;
        }
        INDArray in = headInput(act, hidden);
        INDArray scratch = Buffers.of(act).logits.get(hidden.size(0), config.vocabSize());
        kernels.argmaxOfProduct(in, lmHead.weight(), headScreen(), scratch, out);
    }

    /** The head's input: hidden, times d_model^-0.5 when the head is the tied embedding. */
    private INDArray headInput(Activations act, INDArray hidden) {
        if (logitScale == 1f) {
            return hidden;
        }
        INDArray in = Buffers.of(act).headInput.get(hidden.size(0), hidden.size(1));
        hidden.mul(logitScale, in);
        return in;
    }

    private QuantizedRows headScreen() {
        QuantizedRows s = headScreen;
        if (s == null) {
            synchronized (this) {
                s = headScreen;
                if (s == null) {
                    s = QuantizedRows.of(lmHead.weight(), kernels);
                    headScreen = s;
                }
            }
        }
        return s;
    }

    /**
     * Encoder, teacher-forced decoder on shift_right(labels), logits and the mean loss, with a prompt per row
     * and dropout as given; the arrays are act's buffers.
     */
    public Forward forward(Activations act, Retain retain, Batch batch, RowPrompts prompts, Dropout dropout) {
        Encoded enc = encode(act, retain, requireLabels(batch), prompts, dropout);
        Decoder.Pass dec = decode(act, retain != Retain.NOTHING, enc, decoderInput(batch.labels()), dropout);
        INDArray logits = logits(act, dec.hidden());
        Labels labels = Labels.of(batch);
        double loss = kernels.crossEntropySum(logits, labels.flat(), Batch.IGNORE) / labels.count();
        int t = batch.targetLength();
        return new Forward(enc.hidden3d(), dec.hidden().reshape('c', batch.size(), t, config.dModel()),
                logits.reshape('c', batch.size(), t, config.vocabSize()), loss, labels.count());
    }

    /**
     * The loss and dLoss/dP for a batch with prompt P [p, D]: the forward pass keeps what backward reads
     * (every encoder block, or with {@code checkpointing} only each encoder block's input, recomputing the
     * block during backward), then the backward walks cross-entropy → LM head → decoder (whose
     * cross-attention carries the gradient into H_enc) → encoder → the embedded input, of which the p
     * prompt rows of every batch row are summed. The gradient is one of act's buffers.
     *
     * <p>Dropout inside the frozen model (the paper trains with 0.1; {@link Dropout#NONE}: none) uses the same
     * masks in forward and backward. {@code averageOver}: the loss is the mean over that many labels (0: this
     * batch's own count); a micro-batch of a larger batch (rows padded to its lengths, the dropout
     * {@link Dropout#slice sliced} to the same rows) passes the larger batch's count, so the micro-batches'
     * losses and gradients sum to the larger batch's (up to the order of the float sums).
     */
    public PromptGradient lossAndPromptGrad(Activations act, Batch batch, INDArray prompt, boolean checkpointing,
                                            Dropout dropout, int averageOver) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt: a prompt [prompt_length, " + config.dModel()
                    + "] is needed to compute its gradient");
        }
        Encoded enc = encode(act, checkpointing ? Retain.CHECKPOINTS : Retain.ALL, requireLabels(batch),
                RowPrompts.shared(prompt, batch.size()), dropout);
        Decoder.Pass dec = decode(act, true, enc, decoderInput(batch.labels()), dropout);
        INDArray logits = logits(act, dec.hidden());
        Labels labels = Labels.of(batch);
        int over = averageOver > 0 ? averageOver : labels.count();
        double loss = kernels.crossEntropySum(logits, labels.flat(), Batch.IGNORE) / over;

        Buffers buf = Buffers.of(act);
        INDArray dLogits = buf.dLogits.get(logits.shape());
        kernels.crossEntropyBackward(logits, labels.flat(), Batch.IGNORE, 1.0 / over, dLogits);
        INDArray dHidden = buf.dDecoderHidden.get(dec.hidden().shape());
        lmHead.backward(kernels, dLogits, dHidden, false);                // logits = (h·scale)·Wᵀ
        if (logitScale != 1f) {
            dHidden.muli(logitScale);
        }
        INDArray dEnc = buf.dEncoderHidden.get(enc.hidden().shape());
        decoder.backward(kernels, act, dec, dHidden, dEnc);
        INDArray dEmbeds = encoder.backward(kernels, act, enc.pass(), dEnc); // [B·Le, D]

        int p = enc.promptLength();
        INDArray grad = buf.promptGrad.get(p, config.dModel());
        grad.assign(0);
        for (int b = 0; b < enc.batch(); b++) {
            long row = (long) b * enc.length();
            grad.addi(dEmbeds.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(row, row + p),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()));
        }
        return new PromptGradient(loss, grad, labels.count());
    }

    /** T5's shift_right of labels [B, T]: the teacher-forced decoder's input (the start token, then labels[0..T-2] with -100 replaced by pad). */
    public int[][] decoderInput(int[][] labels) {
        return Batch.shiftRight(labels, config.decoderStartTokenId(), config.padTokenId());
    }

    private static Batch requireLabels(Batch batch) {
        if (batch.labels() == null) {
            throw new IllegalArgumentException("labels: the loss needs labels (use encode() or generate() without)");
        }
        return batch;
    }

    /** Labels flattened to [B·T] and the number that count (not -100); none counting is an error. */
    private record Labels(int[] flat, int count) {
        static Labels of(Batch batch) {
            int t = batch.targetLength();
            int[] flat = new int[batch.size() * t];
            int count = 0;
            for (int b = 0; b < batch.size(); b++) {
                for (int i = 0; i < t; i++) {
                    flat[b * t + i] = batch.labels()[b][i];
                    count += flat[b * t + i] != Batch.IGNORE ? 1 : 0;
                }
            }
            if (count == 0) {
                throw new IllegalArgumentException("labels: every position is -100, so the loss is undefined");
            }
            return new Labels(flat, count);
        }
    }

    public dev.t5pt.layers.Linear lmHead() {
        return lmHead;
    }
}
