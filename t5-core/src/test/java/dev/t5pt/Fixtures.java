package dev.t5pt;

import dev.t5pt.io.SafetensorsFile;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The HF-verified fixtures copied from ../shared/fixtures/t5 into test resources. */
public final class Fixtures {
    public static final List<String> MODELS = List.of("tiny-v1_0", "tiny-v1_1", "tiny-lm-adapt-prompt");

    private Fixtures() {
    }

    public static Path dir(String model) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/t5/" + model + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One fixture case: its tensors by short name ("input_ids", "logits", ...). */
    public record Case(String model, String name, Map<String, INDArray> tensors) {
        public INDArray get(String tensor) {
            INDArray a = tensors.get(tensor);
            if (a == null) {
                throw new IllegalArgumentException(model + "/" + name + ": no tensor " + tensor);
            }
            return a;
        }

        public boolean has(String tensor) {
            return tensors.containsKey(tensor);
        }

        public int[][] ints(String tensor) {
            return toInts(get(tensor));
        }

        @Override
        public String toString() {
            return model + "/" + name;
        }
    }

    public static List<Case> cases(String model) {
        return readCases(model, dir(model).resolve("cases.safetensors"));
    }

    public static List<Case> readCases(String model, Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Map<String, INDArray>> byCase = new TreeMap<>();
            Set<String> order = new LinkedHashSet<>();
            for (String key : f.tensors().keySet()) {
                int slash = key.indexOf('/');
                String c = key.substring(0, slash);
                order.add(c);
                byCase.computeIfAbsent(c, k -> new TreeMap<>()).put(key.substring(slash + 1), f.read(key));
            }
            List<Case> out = new ArrayList<>();
            for (String c : order) {
                out.add(new Case(model, c, byCase.get(c)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Case> allCases() {
        List<Case> all = new ArrayList<>();
        MODELS.forEach(m -> all.addAll(cases(m)));
        return all;
    }

    public static int[][] toInts(INDArray a) {
        long[][] l = a.rank() == 1 ? new long[][]{a.toLongVector()} : a.toLongMatrix();
        int[][] out = new int[l.length][];
        for (int i = 0; i < l.length; i++) {
            out[i] = new int[l[i].length];
            for (int j = 0; j < l[i].length; j++) {
                out[i][j] = Math.toIntExact(l[i][j]);
            }
        }
        return out;
    }

    /** The fixtures' norm-wise relative error: max|a − e| / max|e|. */
    public static double normwiseError(INDArray actual, INDArray expected) {
        if (!java.util.Arrays.equals(actual.shape(), expected.shape())) {
            throw new AssertionError("shape " + java.util.Arrays.toString(actual.shape()) + " != expected "
                    + java.util.Arrays.toString(expected.shape()));
        }
        double[] a = actual.dup('c').data().asDouble();
        double[] e = expected.dup('c').data().asDouble();
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    public static void assertClose(String what, INDArray actual, INDArray expected, double tol) {
        double err = normwiseError(actual, expected);
        if (!(err <= tol)) {
            throw new AssertionError(what + ": norm-wise error " + err + " > " + tol);
        }
    }
}
