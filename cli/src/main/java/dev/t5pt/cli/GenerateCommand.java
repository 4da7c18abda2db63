package dev.t5pt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.generate.Beam;
import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.StepListener;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.tune.Dataset;
import dev.t5pt.tune.PromptFiles;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a frozen T5, with or without a soft prompt: greedy (KV-cached) or beam search.",
                "Inputs from --input (repeatable) or --in FILE: JSON Lines (\"input\"), .tsv or .csv read as tune and eval read them (the target column is not part of the input), or plain text lines."})
final class GenerateCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory")
    Path model;
    @Option(names = "--prompt", paramLabel = "PROMPT", description = "PEFT adapter directory, .npy or .safetensors")
    Path prompt;
    @Option(names = "--input", paramLabel = "TEXT", description = "an input text (repeatable)")
    List<String> inputs = new ArrayList<>();
    @Option(names = "--in", paramLabel = "FILE", description = "inputs: JSON Lines with \"input\" (or --input-field), .tsv (input<TAB>target), .csv (a header names the fields) or plain lines")
    Path in;
    @Option(names = "--input-field", defaultValue = "input", description = "JSONL input field (default: ${DEFAULT-VALUE})")
    String inputField;
    @Option(names = "--beam", defaultValue = "1", description = "beam size; 1 = greedy (default: ${DEFAULT-VALUE})")
    int beam;
    @Option(names = "--length-penalty", defaultValue = "1.0", description = "beam score = log p / length^this (default: ${DEFAULT-VALUE})")
    double lengthPenalty;
    @Option(names = "--max-steps", defaultValue = "32", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int maxSteps;
    @Option(names = "--batch-size", defaultValue = "16", description = "greedy: inputs per batch (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--json", description = "JSON lines {\"input\", \"output\", \"ids\"}")
    boolean json;
    @Mixin
    VocabOption vocab;

    /**
     * The inputs of a file: .tsv, .csv and JSON Lines are read as tune and eval read them (only the input column is
     * used: a TSV's second column is the gold target, never part of the input); any other file is one input per line.
     */
    private List<String> inputsOf(Path file) throws java.io.IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (!name.endsWith(".tsv") && !name.endsWith(".csv")) {
            List<String> lines = Files.readAllLines(file);
            if (lines.stream().noneMatch(l -> l.strip().startsWith("{"))) {
                return lines.stream().filter(l -> !l.isBlank()).toList();   // plain text, one input per line
            }
        }
        return Dataset.readInputs(file, inputField, false);
    }

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (beam < 1 || maxSteps < 1 || batchSize < 1) {
            throw new picocli.CommandLine.ParameterException(cl, "--beam, --max-steps and --batch-size must be ≥ 1");
        }
        List<String> texts = new ArrayList<>(inputs);
        if (in != null) {
            texts.addAll(inputsOf(in));
        }
        if (texts.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(cl, "no inputs: give --input TEXT or --in FILE");
        }
        T5Tokenizer tok = vocab.tokenizer();
        T5Model m = T5Model.load(model);
        INDArray p = prompt == null ? null : PromptFiles.read(prompt, m.config().dModel());
        Activations act = new Activations();
        PrintWriter out = cl.getOut();
        ObjectMapper om = new ObjectMapper();
        for (int from = 0; from < texts.size(); from += beam == 1 ? batchSize : 1) {
            int to = Math.min(texts.size(), from + (beam == 1 ? batchSize : 1));
            List<int[]> gen = new ArrayList<>();
            if (beam == 1) {
                int[][] ids = new int[to - from][];
                int len = 0;
                for (int i = from; i < to; i++) {
                    ids[i - from] = tok.encode(texts.get(i));
                    len = Math.max(len, ids[i - from].length);
                }
                int[][] mask = new int[ids.length][len];
                for (int i = 0; i < ids.length; i++) {
                    Arrays.fill(mask[i], 0, ids[i].length, 1);
                    ids[i] = Arrays.copyOf(ids[i], len);
                }
                gen.addAll(Arrays.asList(Greedy.generate(m, act, Batch.inputs(ids, mask), p,
                        new Greedy.Options(maxSteps, true), StepListener.NONE)));
            } else {
                gen.add(Beam.search(m, act, tok.encode(texts.get(from)), p, beam, maxSteps, lengthPenalty).get(0).ids());
            }
            for (int i = 0; i < gen.size(); i++) {
                int[] ids = untilEos(gen.get(i), tok.eosId());
                String text = tok.decode(ids);
                if (json) {
                    ObjectNode o = om.createObjectNode();
                    o.put("input", texts.get(from + i));
                    o.put("output", text);
                    var arr = o.putArray("ids");
                    for (int id : ids) {
                        arr.add(id);
                    }
                    out.println(om.writeValueAsString(o));
                } else {
                    out.println(text);
                }
            }
        }
        return 0;
    }

    static int[] untilEos(int[] ids, int eos) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == eos) {
                return Arrays.copyOf(ids, i);
            }
        }
        return ids;
    }
}
