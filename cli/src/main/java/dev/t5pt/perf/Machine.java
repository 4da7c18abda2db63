package dev.t5pt.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine a measurement ran on, for the benchmarks' JSON: a speed claim names its machine. Two VMs that both
 * call themselves "AMD EPYC" can differ twofold in GEMM speed (Zen 4 runs AVX-512 at half width, Zen 5 at full:
 * family 25 against 26), so the CPU family and model go with the name.
 */
public final class Machine {
    private Machine() {
    }

    /**
     * E.g. "AMD EPYC (family 25, model 17), 2 cpus", from /proc/cpuinfo; the JVM's os.arch where it is absent.
     * The processors counted are those the JVM may use.
     */
    public static String cpu() {
        int cpus = Runtime.getRuntime().availableProcessors();
        try {
            return describe(Files.readAllLines(Path.of("/proc/cpuinfo")), cpus);
        } catch (IOException | RuntimeException e) {
            return describe(List.of(), cpus);
        }
    }

    /** The OpenBLAS kernels ND4J's GEMMs were asked to use (the launcher chooses them), or "auto". */
    public static String openBlasCoreType() {
        return System.getenv().getOrDefault("OPENBLAS_CORETYPE", "auto");
    }

    /** The description of the first processor listed in cpuinfo's lines ("key : value"). */
    static String describe(List<String> cpuinfo, int cpus) {
        Map<String, String> first = new HashMap<>();
        for (String line : cpuinfo) {
            if (line.isBlank() && !first.isEmpty()) {
                break;                                          // the end of the first processor's block
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                first.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        String name = first.getOrDefault("model name", System.getProperty("os.arch"));
        String family = first.get("cpu family");
        String model = first.get("model");
        String id = family != null && model != null ? " (family " + family + ", model " + model + ")" : "";
        // printed inside JSON strings: no quotes, backslashes or control characters (cpuinfo names have none)
        return (name + id).replaceAll("[\"\\\\\\p{Cntrl}]", "") + ", " + cpus + (cpus == 1 ? " cpu" : " cpus");
    }
}
