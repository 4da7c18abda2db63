package dev.t5pt.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.io.AtomicDirectory;
import dev.t5pt.io.AtomicFiles;
import dev.t5pt.io.SafetensorsFile;
import dev.t5pt.io.SafetensorsWriter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a run needs to continue exactly: the prompt, the optimizer state, the step, the data position
 * (epoch, index; the order within an epoch and the dropout masks follow from the seed), the best dev score
 * and the early-stopping counter, and the best prompt so far (null before the first evaluation), so that best/
 * is rewritten from the checkpoint alone. Written as a directory swapped in whole (state.safetensors + state.json).
 */
public record Checkpoint(INDArray prompt, Map<String, double[]> optimizer, long step, int epoch, int index,
                         double bestScore, long bestStep, int evalsWithoutImprovement, INDArray bestPrompt) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public void write(Path dir) throws IOException {
        AtomicDirectory.replace(dir, tmp -> {
            SafetensorsWriter w = new SafetensorsWriter().put("prompt", prompt);
            if (bestPrompt != null) {
                w.put("best_prompt", bestPrompt);
            }
            optimizer.forEach((k, v) -> w.put("optimizer/" + k, Nd4j.createFromArray(v)));
            w.write(tmp.resolve("state.safetensors"));
            ObjectNode j = JSON.createObjectNode();
            j.put("step", step);
            j.put("epoch", epoch);
            j.put("index", index);
            j.put("best_score", bestScore);
            j.put("best_step", bestStep);
            j.put("evals_without_improvement", evalsWithoutImprovement);
            AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n");
        });
    }

    public static Checkpoint read(Path dir) throws IOException {
        Path json = dir.resolve("state.json");
        Path st = dir.resolve("state.safetensors");
        if (!Files.exists(json) || !Files.exists(st)) {
            throw new IOException(dir + ": not a checkpoint (expected state.json and state.safetensors)");
        }
        JsonNode j = JSON.readTree(Files.readAllBytes(json));
        Map<String, double[]> opt = new LinkedHashMap<>();
        INDArray prompt;
        INDArray bestPrompt;
        try (SafetensorsFile f = SafetensorsFile.open(st)) {
            prompt = f.read("prompt");
            bestPrompt = f.tensors().containsKey("best_prompt") ? f.read("best_prompt") : null;
            for (String k : f.tensors().keySet()) {
                if (k.startsWith("optimizer/")) {
                    opt.put(k.substring("optimizer/".length()), f.read(k).toDoubleVector());
                }
            }
        }
        return new Checkpoint(prompt, opt, j.path("step").asLong(), j.path("epoch").asInt(), j.path("index").asInt(),
                j.path("best_score").asDouble(), j.path("best_step").asLong(), j.path("evals_without_improvement").asInt(), bestPrompt);
    }
}
