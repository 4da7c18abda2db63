package dev.t5pt.cli;

import dev.t5pt.check.Comparison;
import dev.t5pt.check.ReferenceDump;
import dev.t5pt.generate.Greedy;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run end to end on the bundled model: check against PyTorch's values, then generate.",
                "Loads models/tiny-lm-adapt, recomputes every reference tensor shipped with it (hidden states, logits,",
                "loss, greedy ids) and compares at the fixtures' tolerances, then generates greedily with a KV cache,",
                "with and without its soft prompt."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "model directory with cases.safetensors (default: the bundled one)")
    Path model;

    @Option(names = "--steps", defaultValue = "16", paramLabel = "N", description = "greedy steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Override
    public Integer call() throws Exception {
        Path dir = model != null ? model : Path.of(System.getProperty("t5pt.home", ".")).resolve("models/tiny-lm-adapt");
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        T5Model m = T5Model.load(dir);
        var c = m.config();
        out.printf(Locale.ROOT, "model %s: %s, d_model=%d, %d+%d layers, %d heads, vocab %d (kernels: %s, loaded in %.0f ms)%n",
                dir, c.feedForwardProj().hfName(), c.dModel(), c.numLayers(), c.numDecoderLayers(), c.numHeads(),
                c.vocabSize(), m.kernels().name(), (System.nanoTime() - t0) / 1e6);
        boolean allPass = true;
        try (SafetensorsFile cases = SafetensorsFile.open(dir.resolve("cases.safetensors"))) {
            for (String name : ReferenceDump.caseNames(cases)) {
                ReferenceDump.Inputs in = ReferenceDump.readInputs(cases, name);
                Map<String, INDArray> expected = new LinkedHashMap<>();
                for (String key : cases.tensors().keySet()) {
                    if (key.startsWith(name + "/")) {
                        expected.put(key.substring(name.length() + 1), cases.read(key));
                    }
                }
                Map<String, INDArray> got = ReferenceDump.dumpCase(m, in, 8);
                List<Comparison.Row> rows = Comparison.compare(got, expected);
                long failed = rows.stream().filter(r -> !r.passed()).count();
                allPass &= failed == 0;
                out.printf(Locale.ROOT, "%ncase %s: B=%d, L=%d, prompt %s, T=%d%n", name, in.inputIds().length,
                        in.inputIds()[0].length, in.prompt() == null ? "none" : in.prompt().size(0) + " rows",
                        in.labels()[0].length);
                out.printf(Locale.ROOT, "  loss %.6f (PyTorch float64 reference %.6f); %d tensors compared, worst norm-wise error %.2e, %s%n",
                        got.get("loss").getDouble(0), expected.get("loss").getDouble(0), rows.size(),
                        rows.stream().filter(r -> r.tolerance() > 0).mapToDouble(Comparison.Row::error).max().orElse(0),
                        failed == 0 ? "all within tolerance" : failed + " FAILED");
                for (Comparison.Row r : rows) {
                    if (!r.passed()) {
                        out.printf(Locale.ROOT, "    %s: %s%n", r.name(), r.problem() != null ? r.problem() : "error " + r.error());
                    }
                }
                generate(m, in, out);
            }
        }
        out.println();
        out.println(allPass ? "demo: every tensor matches the reference" : "demo: MISMATCHES (see above)");
        return allPass ? 0 : 1;
    }

    private void generate(T5Model m, ReferenceDump.Inputs in, PrintWriter out) {
        Batch b = Batch.inputs(in.inputIds(), in.attentionMask());
        Activations act = new Activations();
        for (INDArray prompt : new INDArray[]{null, in.prompt()}) {
            long t0 = System.nanoTime();
            int[][] ids = Greedy.generate(m, act, b, prompt, new Greedy.Options(steps, true), (t, l) -> { });
            double ms = (System.nanoTime() - t0) / 1e6;
            out.printf(Locale.ROOT, "  greedy %s: %.1f ms for %d steps%n", prompt == null ? "without prompt" : "with prompt",
                    ms, ids[0].length);
            for (int r = 0; r < ids.length; r++) {
                out.println("    row " + r + ": " + Arrays.toString(ids[r]));
            }
            if (in.prompt() == null) {
                break;
            }
        }
    }
}
