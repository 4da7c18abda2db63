package dev.t5pt.cli;

import dev.t5pt.cli.check.HelloThereCheck;
import dev.t5pt.model.T5Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "check-hf", mixinStandardHelpOptions = true,
        description = {"Check a t5-small download against Hugging Face's published integration value.",
                "input \"Hello there\", labels \"Hi I am\" (with EOS); score = -(label tokens x loss), expected -19.0845 +- 1e-4.",
                "Exit code 0 when it matches, 1 when it does not."})
final class CheckHfCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    WeightsOption weights;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "t5-small in HF layout (convert .bin first)")
    Path model;

    @Override
    public Integer call() throws Exception {
        HelloThereCheck.Result r = HelloThereCheck.run(weights.load(model));
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "loss %.6f  score %.4f  expected %.4f +- %.0e  %s%n", r.loss(), r.score(),
                HelloThereCheck.EXPECTED_SCORE, HelloThereCheck.TOLERANCE, r.passed() ? "PASS" : "FAIL");
        return r.passed() ? 0 : 1;
    }
}
