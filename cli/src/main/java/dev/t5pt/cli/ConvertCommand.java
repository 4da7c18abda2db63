package dev.t5pt.cli;

import dev.t5pt.convert.ByteSizes;
import dev.t5pt.convert.Checkpoint;
import dev.t5pt.convert.Checkpoints;
import dev.t5pt.convert.ConvertReport;
import dev.t5pt.convert.Converter;
import dev.t5pt.convert.Listing;
import dev.t5pt.io.DType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a T5 checkpoint into t5pt's model directory (config.json + model.safetensors, HF names),"
                + " or list any checkpoint's tensors.",
                "Inputs: HF safetensors (file, directory, or sharded index), PyTorch pytorch_model.bin (torch >= 1.6 zip"
                        + " format; or pytorch_model.bin.index.json), TensorFlow/Mesh-TF checkpoints given by prefix"
                        + " (e.g. .../model.ckpt-1000100 for model.ckpt-1000100.index + .data-*).",
                "The output appears only when complete and verified; nothing is executed from pickles."})
final class ConvertCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = "--from", paramLabel = "PATH", description = "checkpoint to convert")
        Path from;

        @Option(names = "--list", paramLabel = "PATH",
                description = "print every stored tensor (name, dtype, shape, location, checksum status, first values)")
        Path list;
    }

    @Option(names = "--out", paramLabel = "DIR", description = "output model directory (must not exist or be empty)")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|bf16|f16",
            description = "store every weight in this type (default: keep each tensor's stored type)")
    String dtype;

    @Option(names = "--max-shard-size", paramLabel = "SIZE", defaultValue = "5GB",
            description = "shard limit, e.g. 5GB, 500MB, 2GiB (default: ${DEFAULT-VALUE})")
    String maxShardSize;

    @Option(names = "--config", paramLabel = "config.json",
            description = "HF config to use (default: config.json beside the input; for TF checkpoints"
                    + " operative_config.gin + tensor shapes)")
    Path config;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (mode.list != null) {
            try (Checkpoint ck = Checkpoints.open(mode.list)) {
                Listing.list(ck, out::println);
            }
            return 0;
        }
        if (this.out == null) {
            throw new ParameterException(spec.commandLine(), "convert --from needs --out DIR");
        }
        DType type = dtype == null ? null : StoredType.parse(spec.commandLine(), dtype);
        long shard;
        try {
            shard = ByteSizes.parse(maxShardSize);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--max-shard-size: " + e.getMessage());
        }
        ConvertReport r = Converter.convert(new Converter.Options(mode.from, this.out, type, shard, config), line -> {
            err.println("convert: " + line);
            err.flush();
        });
        r.lines().forEach(out::println);
        return 0;
    }
}
