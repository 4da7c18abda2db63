package dev.t5pt.tune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.io.AtomicDirectory;
import dev.t5pt.io.AtomicFiles;
import dev.t5pt.io.IoErrors;
import dev.t5pt.io.Npy;
import dev.t5pt.io.PromptFiles;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.Dropout;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The prompt-tuning loop: batches from the training set, loss and dL/dP through the frozen model (with its
 * dropout), gradient-norm clipping, the optimizer; evaluation on the dev set every N steps with the best
 * prompt kept and early stopping; checkpoints every N steps, from which {@code resume} continues exactly.
 *
 * <p>The run directory ({@link RunDirectory}): run.json (the record of every setting), metrics.csv (one row per
 * step; dev columns on evaluation steps), loss.png and dev.png, best/ (PEFT adapter + prompt.npy), last/,
 * checkpoint/. Every file in it is replaced atomically: a crash at any instant costs at most the steps since the
 * last checkpoint.
 */
public final class Trainer {
    /** What the trainer reports while it runs. */
    public interface Listener {
        void step(long step, long total, double loss, double tokensPerSecond, double secondsLeft);

        void evaluated(long step, Metrics dev, boolean best);

        void message(String text);
    }

    /** How a run ended. */
    public record Result(long steps, INDArray bestPrompt, double bestScore, long bestStep, String stopReason) {
    }

    static final String HEADER = "step,train_loss,lr,grad_norm,tokens_per_s,dev_exact_match,dev_accuracy,dev_macro_f1";
    private static final int COLUMNS = HEADER.split(",").length;

    private final T5Model model;
    private final T5Tokenizer tok;
    private final TrainConfig cfg;
    private final Path runDir;
    private final Listener listener;
    private final AtomicBoolean stop = new AtomicBoolean();
    private long stopAfter = Long.MAX_VALUE;
    private ObjectNode recordFields;
    private GradientSource gradients;

    public Trainer(T5Model model, T5Tokenizer tok, TrainConfig cfg, Path runDir, Listener listener) {
        this.model = model;
        this.tok = tok;
        this.cfg = cfg;
        this.runDir = runDir;
        this.listener = listener;
    }

    /** Asks the run to stop after the current step (it then writes a checkpoint): Ctrl-C. */
    public void requestStop() {
        stop.set(true);
    }

    /** Stops (as if interrupted) once this many steps are done; for tests of resumption. */
    public void stopAfter(long steps) {
        this.stopAfter = steps;
    }

    /** How {@link #run} treats the run directory. */
    public enum Start {
        /** A new run: the directory must not exist; it appears whole, with its record, once the set-up succeeded. */
        NEW,
        /** A new run replacing an existing t5pt run (only a run: {@link RunDirectory#checkReplaceable}), in one swap. */
        REPLACE,
        /** Continue the run in the directory from its checkpoint, or from step 0 when it stopped before one. */
        RESUME
    }

    /**
     * Computes each step's loss and gradient elsewhere (a cluster's executors: {@link Engine}) instead of in this
     * thread; it must sum micro-batches as {@link MicroBatches#sum} does, so that the run's bytes do not depend on
     * where it runs.
     */
    public interface GradientSource {
        MicroBatches.Part compute(long step, Batch batch, INDArray prompt, Dropout stepDropout);
    }

    /** See {@link GradientSource}; null: this thread. */
    public Trainer gradients(GradientSource source) {
        this.gradients = source;
        return this;
    }

    /** Fields added to the run's record (run.json) of a new run: the caller's inputs and command. */
    public Trainer record(ObjectNode fields) {
        this.recordFields = fields;
        return this;
    }

    /**
     * Trains. Everything that can fail on bad input (data, labels, the prompt's initializer, the optimizer) is
     * checked before the disk is touched: a new run that fails during its set-up leaves nothing behind.
     */
    public Result run(Dataset train, Dataset dev, Start start) throws IOException {
        Data data = prepare(train, dev);
        Batcher batcher = new Batcher(data.train(), cfg.batchSize(), cfg.seed());
        Optimizer opt = cfg.optimizer().create(cfg.weightDecay());
        Schedule schedule = cfg.schedule().create(cfg.lr(), cfg.warmupSteps(), cfg.steps());
        RunState s = begin(start, train.labels(), opt, batcher);
        String reason = train(s, data, batcher, opt, schedule);
        if (s.step == 0) {
            // stopped before the first step: nothing was trained, and nothing is presented as a result
            return new Result(0, s.prompt, s.best, s.bestStep, "stopped before the first step: nothing trained; resuming starts at step 0");
        }
        writePrompt(runDir.resolve("last"), s.prompt);
        if (s.bestStep < 0) {
            s.bestPrompt = s.prompt.dup();
            writePrompt(runDir.resolve("best"), s.bestPrompt);
        }
        Plot.ofRun(runDir.resolve("metrics.csv"), data.dev() != null);
        return new Result(s.step, s.bestPrompt, s.best, s.bestStep, reason);
    }

    /** A run's data, tokenized and checked; dev and devIds null without a dev set. */
    private record Data(Tokenized train, Dataset dev, Tokenized devIds, List<String> labels) {
    }

    private Data prepare(Dataset train, Dataset dev) {
        Tokenized trainIds = Tokenized.of(train, tok, cfg.maxInputLength(), cfg.maxTargetLength());
        Tokenized devIds = dev == null ? null : Tokenized.of(dev, tok, cfg.maxInputLength(), cfg.maxTargetLength());
        report(train, trainIds);
        if (dev != null) {
            report(dev, devIds);
        }
        checkLabels(train.labels());
        warnings(train, dev);
        return new Data(trainIds, dev, devIds, dev == null ? train.labels() : dev.labels());
    }

    /**
     * Where the run starts: the checkpoint's state (resume), or step 0 with the initial prompt; a new run's
     * directory is created only now, after everything that can fail on bad input.
     */
    private RunState begin(Start start, List<String> trainLabels, Optimizer opt, Batcher batcher) throws IOException {
        Path metrics = runDir.resolve("metrics.csv");
        Path ckptDir = runDir.resolve("checkpoint");
        if (start == Start.RESUME && !RunDirectory.recover(runDir)) {
            throw new IOException(runDir + ": not a t5pt run directory (no " + RunDirectory.RECORD + "): nothing to resume");
        }
        if (start == Start.NEW && Files.exists(runDir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(runDir + " exists: a new run needs a new directory");
        }
        RunState s;
        if (start == Start.RESUME && Files.exists(ckptDir)) {
            Checkpoint c = Checkpoint.read(ckptDir);
            if (c.prompt().size(0) != cfg.promptLength() || c.prompt().size(1) != model.config().dModel()) {
                throw new IOException(ckptDir + ": the checkpoint's prompt is " + java.util.Arrays.toString(c.prompt().shape())
                        + ", this run needs [" + cfg.promptLength() + ", " + model.config().dModel() + "]");
            }
            s = new RunState(c.prompt(), c.step());
            opt.restore(c.optimizer());
            batcher.seek(c.epoch(), c.index());
            s.best = c.bestScore();
            s.bestStep = c.bestStep();
            s.sinceBest = c.evalsWithoutImprovement();
            s.bestPrompt = c.bestPrompt();
            if (s.bestPrompt == null && s.bestStep >= 0 && Files.exists(runDir.resolve("best"))) {
                s.bestPrompt = PromptFiles.read(runDir.resolve("best"), model.config().dModel()); // a checkpoint of t5pt 0.1 and before
            }
            truncateMetrics(metrics, s.step);
            listener.message("resuming at step " + s.step + " from " + ckptDir);
        } else {
            PromptInit init = PromptInit.parse(cfg.init(), trainLabels);
            s = new RunState(init.create(model, tok, cfg.promptLength(), new Random(cfg.seed()))
                    .castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT), 0);
            if (start == Start.RESUME) {
                truncateMetrics(metrics, 0);
                listener.message("no checkpoint in " + runDir + " yet: starting at step 0");
            } else {
                if (start == Start.REPLACE) {
                    RunDirectory.checkReplaceable(runDir, List.of());
                }
                RunDirectory.create(runDir, record());
            }
        }
        if (s.bestPrompt == null) {
            s.bestPrompt = s.prompt.dup();
        }
        return s;
    }

    /** The steps until the end, a stop, or early stopping; returns why the loop ended. */
    private String train(RunState s, Data data, Batcher batcher, Optimizer opt, Schedule schedule) throws IOException {
        Activations act = new Activations();
        Evaluator evaluator = new Evaluator(model, tok, new Activations(), cfg.evalBatchSize(), cfg.maxDecodeSteps());
        Dropout dropout = new Dropout((float) cfg.dropout(), cfg.seed());
        long t0 = System.nanoTime();
        long startStep = s.step;
        double tokens = 0;
        while (s.step < cfg.steps()) {
            if (stop.get() || s.step >= stopAfter) {
                return "stopped at step " + s.step;
            }
            Batch batch = batcher.next();
            double lr = schedule.at(s.step);
            if (!update(s, act, batch, dropout.forStep(s.step), opt, lr)) {
                continue;
            }
            tokens += countTokens(batch);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            listener.step(s.step, cfg.steps(), s.loss, tokens / elapsed, elapsed / (s.step - startStep) * (cfg.steps() - s.step));
            String devCols = evaluationDue(s.step, data) ? evaluate(s, data, evaluator) : ",,,";
            appendMetrics(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.6g,%.1f%s%n", s.step, s.loss, lr, s.norm,
                    tokens / elapsed, devCols));
            boolean patienceOut = cfg.patience() > 0 && s.sinceBest >= cfg.patience();
            if ((cfg.checkpointEvery() > 0 && s.step % cfg.checkpointEvery() == 0) || s.step == cfg.steps() || patienceOut
                    || stop.get() || s.step >= stopAfter) {
                new Checkpoint(s.prompt.dup(), opt.state(), s.step, batcher.epoch(), batcher.index(), s.best, s.bestStep,
                        s.sinceBest, s.bestStep >= 0 ? s.bestPrompt : null).write(runDir.resolve("checkpoint"));
            }
            if (patienceOut) {
                return "early stop: no dev improvement in " + s.sinceBest + " evaluations";
            }
        }
        return "completed " + cfg.steps() + " steps";
    }

    /**
     * One step: the gradient (here or from {@link #gradients}), its norm, a skip when loss or norm is not finite
     * (an error after too many in a row), clipping, the optimizer's update of the prompt in place. Returns false
     * for a skipped step (the step still counts).
     */
    private boolean update(RunState s, Activations act, Batch batch, Dropout stepDropout, Optimizer opt, double lr)
            throws IOException {
        MicroBatches.Part g = gradients != null ? gradients.compute(s.step, batch, s.prompt, stepDropout)
                : MicroBatches.compute(model, act, batch, cfg.microBatchSize(), s.prompt, cfg.activationCheckpointing(), stepDropout);
        float[] grad = g.grad();
        double norm = 0;
        for (float x : grad) {
            norm += (double) x * x;
        }
        s.norm = Math.sqrt(norm);
        s.loss = g.loss();
        s.step++;
        if (!Double.isFinite(s.loss) || !Double.isFinite(s.norm)) {
            s.bad++;
            listener.message(String.format(Locale.ROOT, "warning: step %d: loss %s, gradient norm %s: step skipped (%d in a row)",
                    s.step, s.loss, s.norm, s.bad));
            if (s.bad >= cfg.maxBadSteps()) {
                throw new IOException("stopped: " + s.bad + " non-finite steps in a row (the last checkpoint is intact)");
            }
            return false;
        }
        s.bad = 0;
        if (cfg.gradClip() > 0 && s.norm > cfg.gradClip()) {
            float c = (float) (cfg.gradClip() / s.norm);
            for (int i = 0; i < grad.length; i++) {
                grad[i] *= c;
            }
        }
        opt.step(s.values, grad, cfg.promptLength(), model.config().dModel(), lr);
        s.prompt.data().setData(s.values); // in place: no new off-heap array per step
        return true;
    }

    private boolean evaluationDue(long step, Data data) {
        return data.devIds() != null && cfg.evalEvery() > 0 && (step % cfg.evalEvery() == 0 || step == cfg.steps());
    }

    /** Greedy predictions on dev; a better exact match becomes best/. Returns the metrics' columns. */
    private String evaluate(RunState s, Data data, Evaluator evaluator) throws IOException {
        List<String> preds = evaluator.generate(data.devIds(), List.of(s.prompt)).get(0);
        Metrics m = Metrics.of(preds, targets(data.dev()), data.labels());
        boolean improved = m.exactMatch() > s.best;
        if (improved) {
            s.best = m.exactMatch();
            s.bestStep = s.step;
            s.sinceBest = 0;
            s.bestPrompt = s.prompt.dup();
            writePrompt(runDir.resolve("best"), s.bestPrompt);
        } else {
            s.sinceBest++;
        }
        listener.evaluated(s.step, m, improved);
        return String.format(Locale.ROOT, ",%.6f,%.6f,%.6f", m.exactMatch(), m.accuracy(), m.macroF1());
    }

    private void appendMetrics(String row) throws IOException {
        Path metrics = runDir.resolve("metrics.csv");
        try {
            Files.writeString(metrics, row, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw IoErrors.at(metrics, e);
        }
    }

    private ObjectNode record() {
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("format", RunDirectory.FORMAT);
        r.put("t5pt", dev.t5pt.Version.T5PT);
        r.put("created", java.time.Instant.now().toString());
        r.set("config", cfg.toJson());
        if (recordFields != null) {
            r.setAll(recordFields);
        }
        return r;
    }

    /**
     * A classification task's labels (a small set of distinct targets) must fit the target limit whole: a cut
     * label would be a different label. Free-form targets (many distinct ones) are cut and counted instead.
     */
    private void checkLabels(List<String> labels) {
        if (labels.size() > 100) {
            return;
        }
        for (String l : labels) {
            int n = tok.encode(l).length;
            if (n > cfg.maxTargetLength()) {
                throw new SettingException("maxTargetLength", "label \"" + l + "\" is " + n + " tokens with EOS, over the limit of "
                        + cfg.maxTargetLength() + "; raise the limit");
            }
        }
    }

    private void writePrompt(Path dir, INDArray prompt) throws IOException {
        AtomicDirectory.replace(dir, tmp -> {
            PromptFiles.writePeft(tmp, prompt, "t5pt", model.config().numLayers(), model.config().numHeads(), cfg.init());
            Npy.write(tmp.resolve("prompt.npy"), prompt);
        });
    }

    /** Data that trains without error but probably not as meant: empty targets, dev labels training never shows. */
    private void warnings(Dataset train, Dataset dev) {
        for (Dataset d : dev == null ? List.of(train) : List.of(train, dev)) {
            if (d.emptyTargets() > 0) {
                listener.message("warning: " + d.source() + ": " + d.emptyTargets() + " examples with an empty target");
            }
        }
        List<String> trained = train.labels();
        if (dev != null && trained.size() <= 100) {
            List<String> unseen = dev.labels().stream().filter(l -> !trained.contains(l)).toList();
            if (!unseen.isEmpty()) {
                listener.message("warning: " + dev.source() + ": dev labels never seen in training: \""
                        + String.join("\", \"", unseen.subList(0, Math.min(10, unseen.size()))) + "\""
                        + (unseen.size() > 10 ? " and " + (unseen.size() - 10) + " more" : ""));
            }
        }
    }

    private void report(Dataset d, Tokenized t) {
        listener.message(String.format(Locale.ROOT, "%s: %d examples%s%s%s", d.source(), t.size(),
                d.skipped() > 0 ? ", " + d.skipped() + " bad lines skipped" : "",
                t.truncatedInputs() > 0 ? ", " + t.truncatedInputs() + " inputs cut to " + cfg.maxInputLength() + " tokens" : "",
                t.truncatedTargets() > 0 ? ", " + t.truncatedTargets() + " targets cut to " + cfg.maxTargetLength() + " tokens" : ""));
    }

    private static List<String> targets(Dataset d) {
        List<String> t = new ArrayList<>();
        d.examples().forEach(e -> t.add(e.target()));
        return t;
    }

    private static double countTokens(Batch b) {
        double n = 0;
        for (int[] row : b.attentionMask()) {
            for (int m : row) {
                n += m;
            }
        }
        for (int[] row : b.labels()) {
            for (int l : row) {
                n += l != Batch.IGNORE ? 1 : 0;
            }
        }
        return n;
    }

    /**
     * Drops rows after the checkpoint's step, so a resumed run's metrics continue without duplicates, and a row
     * cut short by a crash (fewer columns than the header).
     */
    static void truncateMetrics(Path metrics, long step) throws IOException {
        if (!Files.exists(metrics)) {
            AtomicFiles.writeString(metrics, HEADER + "\n");
            return;
        }
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (String line : Files.readAllLines(metrics)) {
            if (line.isEmpty() || line.startsWith("step")) {
                continue;
            }
            String[] cols = line.split(",", -1);
            if (cols.length == COLUMNS && cols[0].matches("[0-9]+") && Long.parseLong(cols[0]) <= step) {
                sb.append(line).append('\n');
            }
        }
        AtomicFiles.writeString(metrics, sb.toString());
    }
}
