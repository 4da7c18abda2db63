package dev.t5pt.spark;

import dev.t5pt.model.Activations;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an executor JVM keeps between tasks: the frozen model, loaded once per JVM (shared by its task threads:
 * its weights are read-only), and one set of buffers per task thread. A model given as a Hadoop FileSystem URL
 * (hdfs://, s3a://, ...) is copied to a local temporary directory first; a local path or file:// URL is read in place.
 */
final class ExecutorModels {
    private static final Map<ModelRef, T5Model> MODELS = new ConcurrentHashMap<>();
    private static final ThreadLocal<Activations> ACTIVATIONS = ThreadLocal.withInitial(Activations::new);

    private ExecutorModels() {
    }

    /** The model at ref's location held as ref says, loaded once per JVM. */
    static T5Model model(ModelRef ref) {
        return MODELS.computeIfAbsent(ref, r -> {
            try {
                return T5Model.load(local(r.location()), r.held());
            } catch (IOException e) {
                throw new UncheckedIOException(r.location() + ": " + e.getMessage(), e);
            }
        });
    }

    private static final Map<String, T5Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    /** The tokenizer of a vocabulary file (null: T5's bundled one), loaded once per JVM. */
    static T5Tokenizer tokenizer(String vocab) {
        return TOKENIZERS.computeIfAbsent(vocab == null ? "" : vocab, v -> {
            try {
                return v.isEmpty() ? T5Tokenizer.t5Default() : T5Tokenizer.load(local(v));
            } catch (IOException e) {
                throw new UncheckedIOException(v + ": " + e.getMessage(), e);
            }
        });
    }

    static Activations activations() {
        return ACTIVATIONS.get();
    }

    /** A local path holding what is at location (a model directory or a file). */
    static Path local(String location) throws IOException {
        URI u = URI.create(location);
        if (u.getScheme() == null) {
            return Path.of(location);
        }
        if (u.getScheme().equals("file")) {
            return Path.of(u);
        }
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(u);
        FileSystem fs = src.getFileSystem(new Configuration());
        if (fs.getFileStatus(src).isFile()) {
            Path file = Files.createTempDirectory("t5pt-").resolve(src.getName());
            fs.copyToLocalFile(src, new org.apache.hadoop.fs.Path(file.toUri()));
            return file;
        }
        Path dst = Files.createTempDirectory("t5pt-model-");
        for (FileStatus st : fs.listStatus(src)) {
            if (st.isFile()) {
                fs.copyToLocalFile(st.getPath(), new org.apache.hadoop.fs.Path(dst.resolve(st.getPath().getName()).toUri()));
            }
        }
        return dst;
    }
}
