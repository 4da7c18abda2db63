package dev.t5pt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.generate.TextGenerator;
import dev.t5pt.model.Activations;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.tune.Dataset;
import dev.t5pt.tune.Engine;
import dev.t5pt.io.PromptFiles;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a frozen T5, with or without a soft prompt: greedy (KV-cached) or beam search.",
                "Inputs from --input (repeatable) or --in FILE: JSON Lines (\"input\"), .tsv or .csv read as tune and eval read them (the target column is not part of the input), or plain text lines."})
final class GenerateCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    WeightsOption weights;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory")
    Path model;
    @Option(names = "--prompt", paramLabel = "PROMPT", description = "PEFT adapter directory, .npy or .safetensors")
    Path prompt;
    @Option(names = "--spark", paramLabel = "MASTER", description = "generate on Apache Spark (local[N] or a cluster URL; "
            + "the module t5pt-spark, which ./t5pt adds): the same outputs, in input order")
    String spark;
    @Option(names = "--out", paramLabel = "FILE", description = "write the outputs to FILE (whole or not at all) instead of stdout")
    Path outFile;
    @Option(names = "--input", paramLabel = "TEXT", description = "an input text (repeatable)")
    List<String> inputs = new ArrayList<>();
    @Option(names = "--in", paramLabel = "FILE", description = "inputs: JSON Lines with \"input\" (or --input-field), .tsv (input<TAB>target), .csv (a header names the fields) or plain lines")
    String in;
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
    private List<String> inputsOf(String location) throws java.io.IOException {
        byte[] bytes = new DataLocation(location).bytes(spark);
        String name = location.toLowerCase(java.util.Locale.ROOT);
        if (!name.endsWith(".tsv") && !name.endsWith(".csv")) {
            List<String> lines = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).lines().toList();
            if (lines.stream().noneMatch(l -> l.strip().startsWith("{"))) {
                return lines.stream().filter(l -> !l.isBlank()).toList();   // plain text, one input per line
            }
        }
        return Dataset.parseInputs(location, bytes, inputField, false);
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
        T5Model m = weights.load(model);
        INDArray p = prompt == null ? null : PromptFiles.read(prompt, m.config().dModel());
        TextGenerator.Options opt = new TextGenerator.Options(batchSize, maxSteps, beam, lengthPenalty);
        List<TextGenerator.Output> outputs = spark == null
                ? TextGenerator.generate(m, tok, new Activations(), texts, p, opt)
                : Engine.find("spark").generate(spark, model, weights.options(), vocab.vocab, texts, p, opt);
        java.io.StringWriter buffer = new java.io.StringWriter();
        PrintWriter out = outFile == null ? cl.getOut() : new PrintWriter(buffer);
        ObjectMapper om = new ObjectMapper();
        for (int i = 0; i < outputs.size(); i++) {
            TextGenerator.Output g = outputs.get(i);
            if (json) {
                ObjectNode o = om.createObjectNode();
                o.put("input", texts.get(i));
                o.put("output", g.text());
                var arr = o.putArray("ids");
                for (int id : g.ids()) {
                    arr.add(id);
                }
                out.println(om.writeValueAsString(o));
            } else {
                out.println(g.text());
            }
        }
        if (outFile != null) {
            out.flush();
            dev.t5pt.io.AtomicFiles.writeString(outFile, buffer.toString());
            cl.getErr().println(outputs.size() + " outputs written to " + outFile);
        }
        return 0;
    }
}
