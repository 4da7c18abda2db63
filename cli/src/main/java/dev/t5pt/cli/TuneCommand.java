package dev.t5pt.cli;

import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.tune.Dataset;
import dev.t5pt.tune.Optimizer;
import dev.t5pt.tune.Schedule;
import dev.t5pt.tune.TrainConfig;
import dev.t5pt.tune.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a soft prompt on a frozen T5 (prompt tuning, Lester et al. 2021).",
                "Defaults are the paper's: 100-token prompt initialised from the class labels, Adafactor at a constant",
                "0.3, dropout 0.1 in the frozen model. The run directory gets config.json, metrics.csv, loss.png, dev.png,",
                "best/ (a PEFT adapter with prompt.npy), last/ and checkpoint/. Ctrl-C stops after the current step",
                "and leaves a checkpoint; --resume continues exactly where the run stopped."})
final class TuneCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "frozen model (HF layout: config.json + safetensors)")
    Path model;
    @Option(names = "--train", required = true, paramLabel = "FILE", description = "training data: JSONL {\"input\", \"target\"} or .tsv (input<TAB>target)")
    Path train;
    @Option(names = "--dev", paramLabel = "FILE", description = "dev data, evaluated every --eval-every steps (exact match picks the best prompt)")
    Path devFile;
    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "run directory (must not exist unless --resume or --overwrite)")
    Path out;
    @Option(names = "--steps", defaultValue = "30000", description = "training steps (default: ${DEFAULT-VALUE}, the paper's)")
    int steps;
    @Option(names = "--prompt-length", defaultValue = "100", paramLabel = "P", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptLength;
    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "B", description = "examples per step (default: ${DEFAULT-VALUE})")
    int batchSize;
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
    @Option(names = "--activation-checkpointing", description = "recompute encoder blocks in backward: less memory, ~40% slower")
    boolean activationCheckpointing;
    @Option(names = "--input-field", defaultValue = "input", description = "JSONL field holding the input (default: ${DEFAULT-VALUE})")
    String inputField;
    @Option(names = "--target-field", defaultValue = "target", description = "JSONL field holding the target (default: ${DEFAULT-VALUE})")
    String targetField;
    @Option(names = "--skip-bad", description = "skip malformed data lines (counted) instead of stopping")
    boolean skipBad;
    @Option(names = "--vocab", paramLabel = "FILE", description = "SentencePiece model (default: T5's bundled spiece.model)")
    Path vocab;
    @Option(names = "--resume", description = "continue the run in --out from its checkpoint")
    boolean resume;
    @Option(names = "--overwrite", description = "delete an existing --out first")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (resume && overwrite) {
            throw new picocli.CommandLine.ParameterException(cl, "--resume and --overwrite exclude each other");
        }
        if (Files.exists(out) && !resume && !overwrite) {
            throw new IllegalArgumentException(out + " exists: pass --resume to continue that run or --overwrite to replace it");
        }
        if (resume && !Files.exists(out.resolve("checkpoint"))) {
            throw new IllegalArgumentException(out + ": nothing to resume (no checkpoint/ in it)");
        }
        TrainConfig cfg = new TrainConfig(steps, batchSize, promptLength, init, optimizer, lr, schedule, warmup, weightDecay,
                gradClip, dropout, seed, evalEvery, checkpointEvery, patience, maxInput, maxTarget, evalBatch, maxDecode,
                activationCheckpointing, 5);
        Optimizer.parse(optimizer, weightDecay);
        Schedule.parse(schedule, lr, warmup, steps);
        T5Tokenizer tok = vocab == null ? T5Tokenizer.t5Default() : T5Tokenizer.load(vocab);
        Dataset trainData = Dataset.read(train, inputField, targetField, skipBad);
        Dataset devData = devFile == null ? null : Dataset.read(devFile, inputField, targetField, skipBad);
        if (overwrite && Files.exists(out)) {
            deleteTree(out);
        }
        T5Model m = T5Model.load(model);
        var err = cl.getErr();
        ProgressBar bar = new ProgressBar(err, System.console() != null, Math.max(1, Math.min(50, evalEvery == 0 ? 50 : evalEvery)));
        Trainer trainer = new Trainer(m, tok, cfg, out, bar);
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
        try {
            Trainer.Result r = trainer.run(trainData, devData, resume);
            cl.getOut().printf(Locale.ROOT, "%s; best dev exact match %s at step %d; best prompt: %s%n", r.stopReason(),
                    r.bestStep() >= 0 ? String.format(Locale.ROOT, "%.4f", r.bestScore()) : "n/a", r.bestStep(),
                    out.resolve("best"));
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: the checkpoint is written, let the JVM exit
            }
        }
        return 0;
    }

    static void deleteTree(Path p) throws java.io.IOException {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
