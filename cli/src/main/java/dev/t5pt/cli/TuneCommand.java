package dev.t5pt.cli;

import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.tune.Dataset;
import dev.t5pt.tune.Engine;
import dev.t5pt.tune.RunDirectory;
import dev.t5pt.tune.Optimizer;
import dev.t5pt.tune.Schedule;
import dev.t5pt.tune.TrainConfig;
import dev.t5pt.tune.Trainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a soft prompt on a frozen T5 (prompt tuning, Lester et al. 2021).",
                "Defaults are the paper's: 100-token prompt initialised from the class labels, Adafactor at a constant",
                "0.3, dropout 0.1 in the frozen model. The run directory gets run.json (every setting, the inputs' paths and",
                "checksums), metrics.csv, loss.png, dev.png, best/ (a PEFT adapter with prompt.npy), last/ and checkpoint/.",
                "Ctrl-C stops after the current step and leaves a checkpoint; after Ctrl-C or a crash,",
                "'t5pt tune --resume --out RUN_DIR' continues exactly where the run stopped.",
                "",
                "Nothing of yours is deleted: the command is checked whole (model, data, initializer) before the disk is",
                "touched, and --overwrite replaces only a t5pt run directory."})
final class TuneCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    WeightsOption weights;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The record of the run being resumed (null for a new run). */
    private JsonNode resumedFrom;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "frozen model (HF layout: config.json + safetensors; DIR/config.json means DIR)")
    Path model;
    @Option(names = "--train", paramLabel = "FILE", description = "training data: JSONL {\"input\", \"target\"}, .tsv (input<TAB>target) or .csv (a header names the fields); with --spark also a Hadoop FileSystem URL (hdfs://, s3a://, file://)")
    String train;
    @Option(names = "--dev", paramLabel = "FILE", description = "dev data, evaluated every --eval-every steps (exact match picks the best prompt)")
    String devFile;
    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "run directory (must not exist unless --resume or --overwrite)")
    Path out;
    @Option(names = "--steps", defaultValue = "30000", description = "training steps (default: ${DEFAULT-VALUE}, the paper's)")
    int steps;
    @Option(names = "--prompt-length", defaultValue = "100", paramLabel = "P", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptLength;
    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "B", description = "examples per step (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--micro-batch-size", defaultValue = "0", paramLabel = "M", description = "gradient accumulation: "
            + "compute each step in micro-batches of M rows (B a multiple of M), summed in order; the memory of M rows "
            + "(default: off)")
    int microBatchSize;
    @Option(names = "--init", defaultValue = "labels", description = "prompt init: uniform[:RANGE], vocab[:TOPK], labels[:TOPK], text:TEXT, file:PATH (default: ${DEFAULT-VALUE})")
    String init;
    @Option(names = "--optimizer", defaultValue = "adafactor", description = "adafactor or adamw (default: ${DEFAULT-VALUE})")
    String optimizer;
    @Option(names = "--lr", defaultValue = "0.3", description = "learning rate (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--schedule", defaultValue = "constant", description = "constant, linear (warm-up, linear decay) or rsqrt (default: ${DEFAULT-VALUE})")
    String schedule;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "warm-up steps for linear/rsqrt (default: ${DEFAULT-VALUE})")
    int warmup;
    @Option(names = "--weight-decay", defaultValue = "-1", description = "weight decay (default: the optimizer's: 1e-5 Adafactor, 0.01 AdamW)")
    double weightDecay;
    @Option(names = "--grad-clip", defaultValue = "0", description = "clip the gradient's L2 norm to this (0 = off, the default)")
    double gradClip;
    @Option(names = "--dropout", defaultValue = "0.1", description = "dropout inside the frozen model (default: ${DEFAULT-VALUE})")
    double dropout;
    @Option(names = "--seed", defaultValue = "42", description = "seed for init, data order and dropout (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--eval-every", defaultValue = "100", description = "dev evaluation interval in steps, 0 = only at the end (default: ${DEFAULT-VALUE})")
    int evalEvery;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "checkpoint interval in steps (default: ${DEFAULT-VALUE})")
    int checkpointEvery;
    @Option(names = "--patience", defaultValue = "0", description = "stop after this many evaluations without improvement (0 = never)")
    int patience;
    @Option(names = "--max-input-length", defaultValue = "512", description = "input tokens kept, EOS included (default: ${DEFAULT-VALUE})")
    int maxInput;
    @Option(names = "--max-target-length", defaultValue = "16", description = "target tokens kept, EOS included (default: ${DEFAULT-VALUE})")
    int maxTarget;
    @Option(names = "--eval-batch-size", defaultValue = "64", description = "rows per evaluation batch (default: ${DEFAULT-VALUE})")
    int evalBatch;
    @Option(names = "--max-decode-steps", defaultValue = "16", description = "greedy steps when evaluating (default: ${DEFAULT-VALUE})")
    int maxDecode;
    @Option(names = "--activation-checkpointing", description = "recompute encoder blocks in backward: less memory, ~40%% slower")
    boolean activationCheckpointing;
    @Mixin
    DataOptions dataOptions;
    @Mixin
    VocabOption vocab;
    @Option(names = "--resume", description = "continue the run in --out from its checkpoint with its recorded settings: "
            + "only --steps, --eval-every, --checkpoint-every and --patience may change")
    boolean resume;
    @Option(names = "--spark", paramLabel = "MASTER", description = "compute each step's micro-batches on Apache Spark "
            + "(local[N] or a cluster URL; the module t5pt-spark, which ./t5pt adds): the same bytes as in one process")
    String spark;
    @Option(names = "--overwrite", description = "replace --out if it is a t5pt run (never a file, another directory or one holding an input)")
    boolean overwrite;

    /** The flags a resumed run may change; any other flag given with --resume must agree with the record. */
    static final Set<String> CHANGEABLE_ON_RESUME = Set.of("--steps", "--eval-every", "--checkpoint-every", "--patience");
    /** Flags that are not settings of the run. */
    private static final Set<String> NOT_RECORDED = Set.of("--resume", "--overwrite", "--out", "--spark", "--help", "--version");

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (resume && overwrite) {
            throw new picocli.CommandLine.ParameterException(cl, "--resume and --overwrite exclude each other");
        }
        RunDirectory.recover(out);   // whatever a crash left half-swapped, before anything looks at --out
        if (resume && RunDirectory.isRun(out)) {
            return fromRecord().train(Trainer.Start.RESUME);
        }
        if (resume) {
            if (Files.exists(out)) {
                throw new IllegalArgumentException(out + " is not a t5pt run directory (no " + RunDirectory.RECORD
                        + "): nothing to resume");
            }
            if (model == null || train == null) {
                throw new IllegalArgumentException(out + ": no run to resume (it was never created); start it with --model, "
                        + "--train and the other flags");
            }
            // a crash before the run directory appeared: the full command starts it afresh
            cl.getErr().println("no run in " + out + " yet: starting it");
        }
        if (model == null || train == null) {
            throw new picocli.CommandLine.ParameterException(cl, "Missing required options: --model, --train (a new run needs both)");
        }
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !overwrite) {
            throw new IllegalArgumentException(out + (RunDirectory.isRun(out)
                    ? " is a t5pt run: pass --resume to continue it or --overwrite to replace it"
                    : " exists and is not a t5pt run directory: choose a new --out"));
        }
        model = T5Model.modelDir(model);
        RunDirectory.checkReplaceable(out, inputs());   // before any work: --overwrite only ever replaces a run
        return train(Files.exists(out) ? Trainer.Start.REPLACE : Trainer.Start.NEW);
    }

    /** Validates the whole command (model, data, prompt initializer), then trains; the disk is touched last. */
    private int train(Trainer.Start start) throws Exception {
        var cl = spec.commandLine();
        TrainConfig cfg = TrainConfig.defaults().steps(steps).batchSize(batchSize).promptLength(promptLength)
                .init(absoluteInit()).optimizer(Optimizer.Kind.parse(optimizer)).lr(lr)
                .schedule(Schedule.Kind.parse(schedule)).warmupSteps(warmup).weightDecay(weightDecay).gradClip(gradClip)
                .dropout(dropout).seed(seed).evalEvery(evalEvery).checkpointEvery(checkpointEvery).patience(patience)
                .maxInputLength(maxInput).maxTargetLength(maxTarget).evalBatchSize(evalBatch).maxDecodeSteps(maxDecode)
                .activationCheckpointing(activationCheckpointing).microBatchSize(microBatchSize).build();
        T5Tokenizer tok = vocab.tokenizer();
        Dataset trainData = dataOptions.read(train, spark);
        Dataset devData = devFile == null ? null : dataOptions.read(devFile, spark);
        if (resumedFrom != null) {
            // the data is read again (a URL cannot be checked before): it must be the run's
            JsonNode in = resumedFrom.path("inputs");
            sameData(in.get("train"), trainData, "training data");
            sameData(in.get("dev"), devData, "dev data");
        }
        T5Model m = weights.load(model);
        var err = cl.getErr();
        ProgressBar bar = new ProgressBar(err, System.console() != null, Math.max(1, Math.min(50, evalEvery == 0 ? 50 : evalEvery)));
        Trainer trainer = new Trainer(m, tok, cfg, out, bar);
        if (start != Trainer.Start.RESUME) {
            trainer.record(record(trainData, devData));
        }
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                finished.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        Engine.Gradients remote = spark == null ? null : Engine.find("spark").gradients(spark, model, weights.options(), cfg);
        trainer.gradients(remote);
        try {
            Trainer.Result r = trainer.run(trainData, devData, start);
            cl.getOut().println(r.stopReason());
            if (r.steps() > 0) {
                cl.getOut().println(r.bestStep() >= 0
                        ? String.format(Locale.ROOT, "best dev exact match %.4f at step %d; best prompt: %s", r.bestScore(),
                        r.bestStep(), out.resolve("best"))
                        : "prompt: " + out.resolve("last") + (devFile == null ? " (no --dev: best/ is the last prompt)" : ""));
            }
        } finally {
            if (remote != null) {
                remote.close();
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: the checkpoint is written, let the JVM exit
            }
        }
        return 0;
    }

    /** Every path this run reads: what --overwrite must never delete. */
    private List<Path> inputs() {
        List<Path> in = new ArrayList<>(Arrays.asList(model, vocab.vocab));
        for (String data : new String[]{train, devFile}) {
            if (data != null && !DataLocation.isUrl(data)) {
                in.add(Path.of(data));
            }
        }
        if (init.startsWith("file:")) {
            in.add(Path.of(init.substring("file:".length())));
        }
        return in;
    }

    private String absoluteInit() {
        return init.startsWith("file:") ? "file:" + Path.of(init.substring(5)).toAbsolutePath().normalize() : init;
    }

    /** run.json's part from the command line: the inputs with checksums, and every flag's value. */
    private ObjectNode record(Dataset trainData, Dataset devData) throws java.io.IOException {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode in = r.putObject("inputs");
        in.set("model", RunDirectory.input(model));
        in.set("train", dataInput(train, trainData));
        if (devFile != null) {
            in.set("dev", dataInput(devFile, devData));
        }
        if (vocab.vocab != null) {
            in.set("vocab", RunDirectory.input(vocab.vocab));
        }
        ObjectNode flags = r.putObject("command");
        for (OptionSpec o : spec.options()) {
            if (!NOT_RECORDED.contains(o.longestName()) && o.getValue() != null) {
                flags.put(o.longestName(), canonical(o.longestName(), o.getValue()));
            }
        }
        return r;
    }

    private static ObjectNode dataInput(String location, Dataset data) {
        ObjectNode n = JSON.createObjectNode();
        n.put("path", new DataLocation(location).canonical());
        n.put("checksum", data.checksum());
        return n;
    }

    /** Throws when the data read on resume is not what the run was made from. */
    private static void sameData(JsonNode recorded, Dataset data, String what) throws java.io.IOException {
        if (recorded == null || data == null || recorded.path("checksum").asText().equals(data.checksum())) {
            return;
        }
        throw new java.io.IOException("the run's " + what + " " + data.source() + " changed since the run started (checksum "
                + recorded.path("checksum").asText() + " then, " + data.checksum() + " now): resuming would not continue the same run");
    }

    /** A flag's value as the record holds it: paths absolute, numbers as Java prints them. */
    private static String canonical(String name, Object value) {
        if (value instanceof Path p) {
            return p.toAbsolutePath().normalize().toString();
        }
        if (("--train".equals(name) || "--dev".equals(name)) && value instanceof String s) {
            return new DataLocation(s).canonical();
        }
        if ("--init".equals(name) && value.toString().startsWith("file:")) {
            return "file:" + Path.of(value.toString().substring(5)).toAbsolutePath().normalize();
        }
        return String.valueOf(value);
    }

    /**
     * The run's own command, from its record, with the flags a resume may change taken from this one; a flag
     * given here that contradicts the record is refused by name. The inputs must be unchanged (checksums).
     */
    private TuneCommand fromRecord() throws Exception {
        JsonNode rec = RunDirectory.readRecord(out);
        JsonNode flags = rec.path("command");
        if (!flags.isObject()) {
            throw new IllegalArgumentException(out.resolve(RunDirectory.RECORD) + ": no \"command\" (a run of an older t5pt, "
                    + "or made by the library): resume it from the library, or start a new run");
        }
        ParseResult given = spec.commandLine().getParseResult();
        List<String> args = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (NOT_RECORDED.contains(name)) {
                continue;
            }
            JsonNode recorded = flags.get(name);
            boolean matched = given.hasMatchedOption(name);
            String value = matched ? canonical(name, o.getValue()) : recorded == null ? null : recorded.asText();
            if (matched && !CHANGEABLE_ON_RESUME.contains(name)) {
                String then = recorded == null ? "(not set)" : recorded.asText();
                if (!value.equals(then)) {
                    throw new IllegalArgumentException(name + " " + value + " contradicts the run's " + name + " " + then
                            + " (" + out.resolve(RunDirectory.RECORD) + "): on --resume only " + String.join(", ",
                            new java.util.TreeSet<>(CHANGEABLE_ON_RESUME)) + " may change");
                }
            }
            if (value == null) {
                continue;
            }
            if (o.arity().max() == 0) {
                if (Boolean.parseBoolean(value)) {
                    args.add(name);
                }
            } else {
                args.add(name);
                args.add(value);
            }
        }
        args.add("--out");
        args.add(out.toString());
        args.add("--resume");
        TuneCommand replay = new TuneCommand();
        picocli.CommandLine replayCl = new picocli.CommandLine(replay);
        replayCl.setOut(spec.commandLine().getOut());
        replayCl.setErr(spec.commandLine().getErr());
        replayCl.parseArgs(args.toArray(String[]::new));
        replay.spec = replayCl.getCommandSpec();
        replay.spark = spark;   // where the steps run is not part of the run
        replay.resumedFrom = rec;
        JsonNode in = rec.path("inputs");
        RunDirectory.checkInput(in.get("model"), "model", out);
        RunDirectory.checkInput(in.get("vocab"), "vocabulary", out);
        return replay;
    }
}
