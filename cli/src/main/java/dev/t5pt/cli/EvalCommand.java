package dev.t5pt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.model.Activations;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.tune.Dataset;
import dev.t5pt.tune.Evaluator;
import dev.t5pt.tune.Metrics;
import dev.t5pt.tune.PromptFiles;
import dev.t5pt.tune.Tokenized;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
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
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "frozen model directory")
    Path model;
    @Option(names = "--prompt", required = true, paramLabel = "PROMPT", description = "PEFT adapter directory, .npy or .safetensors; repeat for an ensemble")
    List<Path> prompts;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "JSONL {\"input\", \"target\"} or .tsv")
    Path data;
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
    @Option(names = "--input-field", defaultValue = "input", description = "JSONL input field (default: ${DEFAULT-VALUE})")
    String inputField;
    @Option(names = "--target-field", defaultValue = "target", description = "JSONL target field (default: ${DEFAULT-VALUE})")
    String targetField;
    @Option(names = "--skip-bad", description = "skip malformed lines (counted)")
    boolean skipBad;
    @Option(names = "--vocab", paramLabel = "FILE", description = "SentencePiece model (default: T5's)")
    Path vocab;

    @Override
    public Integer call() throws Exception {
        T5Tokenizer tok = vocab == null ? T5Tokenizer.t5Default() : T5Tokenizer.load(vocab);
        Dataset ds = Dataset.read(data, inputField, targetField, skipBad);
        T5Model m = T5Model.load(model);
        List<INDArray> ps = new ArrayList<>();
        for (Path p : prompts) {
            ps.add(PromptFiles.read(p, m.config().dModel()));
        }
        Tokenized ids = Tokenized.of(ds, tok, maxInput, 512);
        Evaluator ev = new Evaluator(m, tok, new Activations(), batchSize, maxDecode);
        List<String> labels = ds.labels();
        List<List<String>> preds = rank ? ev.rank(ids, ps, labels) : ev.generate(ids, ps);
        List<String> targets = ds.examples().stream().map(Dataset.Example::target).toList();
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper om = new ObjectMapper();
        for (int j = 0; j < ps.size(); j++) {
            print(out, om, prompts.get(j).toString(), Metrics.of(preds.get(j), targets, labels));
        }
        print(out, om, ps.size() > 1 ? "ensemble (majority vote of " + ps.size() + ")" : "ensemble (1 prompt)",
                Metrics.of(Metrics.majorityVote(preds), targets, labels));
        return 0;
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
