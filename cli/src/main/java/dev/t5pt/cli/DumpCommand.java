package dev.t5pt.cli;

import dev.t5pt.cli.check.ReferenceDump;
import dev.t5pt.model.T5Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Compute the tensors a reimplementation is checked against, for every case of a file.",
                "Input: safetensors with <case>/input_ids, <case>/attention_mask, <case>/labels (I64 [B, L], [B, T]; "
                        + "labels -100 = ignored) and optional <case>/prompt (F32 [p, d_model]).",
                "Output: <case>/encoder_hidden, decoder_hidden, logits, loss, noprompt_*, greedy_ids_*, greedy_logits_*, "
                        + "position biases, buckets and layer-0 outputs, with the fixtures' names, dtypes and shapes."})
final class DumpCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    WeightsOption weights;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json + model.safetensors)")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "CASES.safetensors", description = "cases to run")
    Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT.safetensors", description = "where to write (atomically)")
    Path out;

    @Option(names = "--greedy-steps", defaultValue = "8", paramLabel = "N",
            description = "greedy decoding steps, no EOS stopping (default: ${DEFAULT-VALUE})")
    int greedySteps;

    @Override
    public Integer call() throws Exception {
        if (greedySteps < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--greedy-steps: expected ≥ 1, found " + greedySteps);
        }
        T5Model m = weights.load(model);
        var err = spec.commandLine().getErr();
        int n = ReferenceDump.dumpFile(m, inputs, out, greedySteps, c -> {
            err.println("dump: case " + c);
            err.flush();
        });
        spec.commandLine().getOut().println("wrote " + n + " case(s) to " + out);
        return 0;
    }
}
