package dev.t5pt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.model.Activations;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.io.AtomicFiles;
import dev.t5pt.tune.ConfusionMatrix;
import dev.t5pt.tune.Dataset;
import dev.t5pt.tune.Engine;
import dev.t5pt.tune.Evaluator;
import dev.t5pt.tune.Metrics;
import dev.t5pt.io.PromptFiles;
import dev.t5pt.tune.Tokenized;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate one or more prompts on a dataset: exact match, accuracy, macro-F1 over the label set.",
                "Several --prompt options form an ensemble (the paper's Table 3): all run in one batch (each example",
                "repeated per prompt), each is scored, and the majority vote is scored last."})
final class EvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    WeightsOption weights;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "frozen model directory")
    Path model;
    @Option(names = "--prompt", required = true, paramLabel = "PROMPT", description = "PEFT adapter directory, .npy or .safetensors; repeat for an ensemble")
    List<Path> prompts;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "JSONL {\"input\", \"target\"}, .tsv or .csv; with --spark also a Hadoop FileSystem URL")
    String data;
    @Option(names = "--json", description = "one JSON object per line (per prompt, then the ensemble)")
    boolean json;
    @Option(names = "--rank-classification", description = "score each candidate label (the dataset's distinct targets) by its loss instead of generating")
    boolean rank;
    @Option(names = "--batch-size", defaultValue = "64", description = "rows per batch (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--max-decode-steps", defaultValue = "16", description = "greedy steps (default: ${DEFAULT-VALUE})")
    int maxDecode;
    @Option(names = "--max-input-length", defaultValue = "512", description = "input tokens kept (default: ${DEFAULT-VALUE})")
    int maxInput;
    @Mixin
    DataOptions dataOptions;
    @Mixin
    VocabOption vocab;
    @Option(names = "--spark", paramLabel = "MASTER", description = "evaluate on Apache Spark (local[N] or a cluster URL; "
            + "the module t5pt-spark, which ./t5pt adds): the same predictions and metrics as in one process")
    String spark;
    @Option(names = "--predictions", paramLabel = "FILE", description = "write one JSON line per example: input, gold, "
            + "prediction, correct (the ensemble's vote with several prompts, with each prompt's answer)")
    Path predictionsFile;

    @Override
    public Integer call() throws Exception {
        T5Tokenizer tok = vocab.tokenizer();
        Dataset ds = dataOptions.read(data, spark);
        T5Model m = weights.load(model);
        List<INDArray> ps = new ArrayList<>();
        for (Path p : prompts) {
            ps.add(PromptFiles.read(p, m.config().dModel()));
        }
        Tokenized ids = Tokenized.of(ds, tok, maxInput, 512);
        List<String> labels = ds.labels();
        List<List<String>> preds;
        if (spark == null) {
            Evaluator ev = new Evaluator(m, tok, new Activations(), batchSize, maxDecode);
            preds = rank ? ev.rank(ids, ps, labels) : ev.generate(ids, ps);
        } else {
            try (Engine.RemoteEvaluator ev = Engine.find("spark").evaluator(spark, model, weights.options(), vocab.vocab, batchSize, maxDecode)) {
                preds = rank ? ev.rank(ids, ps, labels) : ev.generate(ids, ps);
            }
        }
        List<String> targets = ds.examples().stream().map(Dataset.Example::target).toList();
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper om = new ObjectMapper();
        for (int j = 0; j < ps.size(); j++) {
            print(out, om, prompts.get(j).toString(), Metrics.of(preds.get(j), targets, labels));
        }
        List<String> answer = ps.size() > 1 ? Metrics.majorityVote(preds) : preds.get(0);
        if (ps.size() > 1) {
            print(out, om, "ensemble (majority vote of " + ps.size() + ")", Metrics.of(answer, targets, labels));
        }
        if (!json && labels.size() <= ConfusionMatrix.MAX_LABELS) {
            out.println();
            out.println("confusion matrix" + (ps.size() > 1 ? " (ensemble)" : "") + ", rows gold, columns predicted:");
            ConfusionMatrix.of(answer, targets, labels).lines().forEach(l -> out.println("  " + l));
        }
        if (predictionsFile != null) {
            writePredictions(om, ds, targets, answer, preds);
            spec.commandLine().getErr().println("predictions: " + predictionsFile);
        }
        return 0;
    }

    /** One JSON object per example, written whole or not at all. */
    private void writePredictions(ObjectMapper om, Dataset ds, List<String> targets, List<String> answer,
                                  List<List<String>> preds) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < targets.size(); i++) {
            ObjectNode o = om.createObjectNode();
            o.put("input", ds.examples().get(i).input());
            o.put("gold", targets.get(i));
            o.put("prediction", answer.get(i));
            o.put("correct", answer.get(i).strip().equals(targets.get(i).strip()));
            if (preds.size() > 1) {
                var each = o.putArray("per_prompt");
                for (List<String> p : preds) {
                    each.add(p.get(i));
                }
            }
            sb.append(om.writeValueAsString(o)).append('\n');
        }
        AtomicFiles.writeString(predictionsFile, sb.toString());
    }

    private void print(PrintWriter out, ObjectMapper om, String name, Metrics m) throws Exception {
        if (json) {
            ObjectNode o = om.createObjectNode();
            o.put("prompt", name);
            o.put("exact_match", m.exactMatch());
            o.put("accuracy", m.accuracy());
            o.put("macro_f1", m.macroF1());
            o.put("examples", m.count());
            o.put("method", rank ? "rank_classification" : "greedy");
            out.println(om.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "%-50s exact match %.4f  accuracy %.4f  macro-F1 %.4f  (%d examples)%n", name,
                    m.exactMatch(), m.accuracy(), m.macroF1(), m.count());
        }
    }
}
