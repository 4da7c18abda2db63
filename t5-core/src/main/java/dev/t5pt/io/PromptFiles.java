package dev.t5pt.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Soft prompts on disk, in the two formats people exchange them in: a Hugging Face PEFT adapter directory
 * ({@code adapter_config.json} + {@code adapter_model.safetensors} holding {@code prompt_embeddings};
 * PEFT stores [2N, d] for seq2seq models, of which rows [0, N) are the encoder's prompt) and the official
 * prompt-tuning repository's {@code .npy} [P, d]. {@link #read} takes either (or a bare .safetensors).
 */
public final class PromptFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String KEY = "prompt_embeddings";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptFiles() {
    }

    /** Reads a prompt [P, d] from a PEFT directory, a .npy file or a .safetensors file; checks d when dModel > 0. */
    public static INDArray read(Path path, int dModel) throws IOException {
        INDArray p;
        if (Files.isDirectory(path)) {
            p = readPeft(path);
        } else if (path.toString().endsWith(".npy")) {
            p = Npy.read(path);
        } else if (path.toString().endsWith(".safetensors")) {
            p = readSafetensors(path, -1);
        } else if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "no such prompt file or directory");
        } else {
            throw new IOException(path + ": expected a PEFT adapter directory, a .npy or a .safetensors prompt");
        }
        if (dModel > 0 && p.size(1) != dModel) {
            throw new IOException(path + ": prompt width " + p.size(1) + " does not match the model's d_model " + dModel
                    + " (shape " + java.util.Arrays.toString(p.shape()) + ")");
        }
        return p;
    }

    private static INDArray readPeft(Path dir) throws IOException {
        Path cfg = dir.resolve(CONFIG);
        int virtualTokens = -1;
        if (Files.exists(cfg)) {
            JsonNode c = JSON.readTree(Files.readAllBytes(cfg));
            JsonNode type = c.get("peft_type");
            if (type != null && !type.asText().equals("PROMPT_TUNING")) {
                throw new IOException(cfg + ": peft_type is " + type + ", expected \"PROMPT_TUNING\"");
            }
            virtualTokens = c.path("num_virtual_tokens").asInt(-1);
        }
        Path w = dir.resolve(WEIGHTS);
        if (!Files.exists(w)) {
            throw new java.nio.file.NoSuchFileException(w.toString(), null, "PEFT adapter weights missing");
        }
        return readSafetensors(w, virtualTokens);
    }

    private static INDArray readSafetensors(Path file, int virtualTokens) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String key = f.contains(KEY) ? KEY : f.tensors().keySet().stream().filter(k -> k.endsWith(KEY)).findFirst()
                    .orElseThrow(() -> new IOException(file + ": no tensor named '" + KEY + "'"));
            INDArray p = f.read(key);
            if (p.rank() != 2) {
                throw new IOException(file + ": '" + key + "' has shape " + java.util.Arrays.toString(p.shape())
                        + ", expected [num_virtual_tokens, d_model]");
            }
            if (virtualTokens > 0 && p.size(0) == 2L * virtualTokens) {
                // PEFT's seq2seq layout: [encoder prompt; decoder prompt], identical rows; the encoder's are first
                p = p.get(NDArrayIndex.interval(0, virtualTokens), NDArrayIndex.all()).dup('c');
            } else if (virtualTokens > 0 && p.size(0) != virtualTokens) {
                throw new IOException(file + ": '" + key + "' has " + p.size(0) + " rows but num_virtual_tokens is "
                        + virtualTokens);
            }
            return p;
        }
    }

    /** Writes a PEFT PROMPT_TUNING adapter directory for a seq2seq model (rows duplicated to [2N, d] as PEFT does). */
    public static void writePeft(Path dir, INDArray prompt, String baseModel, int numLayers, int numHeads, String init)
            throws IOException {
        Files.createDirectories(dir);
        int n = (int) prompt.size(0);
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "PROMPT_TUNING");
        c.put("task_type", "SEQ_2_SEQ_LM");
        c.put("num_virtual_tokens", n);
        c.put("token_dim", prompt.size(1));
        c.put("num_transformer_submodules", 2);
        c.put("num_attention_heads", numHeads);
        c.put("num_layers", numLayers);
        c.put("prompt_tuning_init", init);
        c.put("base_model_name_or_path", baseModel);
        c.put("inference_mode", true);
        INDArray both = org.nd4j.linalg.factory.Nd4j.vstack(prompt, prompt);
        new SafetensorsWriter().put(KEY, both).metadata("format", "pt").write(dir.resolve(WEIGHTS));
        AtomicFiles.writeString(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
    }
}
