package dev.t5pt.spark;

import dev.t5pt.generate.TextGenerator;
import dev.t5pt.tune.Engine;
import dev.t5pt.weights.WeightOptions;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import dev.t5pt.tune.TrainConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The "spark" {@link Engine} (found through META-INF/services). */
public final class SparkEngine implements Engine {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public Gradients gradients(String master, Path model, WeightOptions held, TrainConfig cfg) {
        return new SparkGradients(context(master, "t5pt tune"), new ModelRef(location(model), held), cfg);
    }

    @Override
    public RemoteEvaluator evaluator(String master, Path model, WeightOptions held, Path vocab, int batchSize,
                                     int maxDecodeSteps) {
        return new SparkEvaluator(context(master, "t5pt eval"), new ModelRef(location(model), held),
                vocab == null ? null : location(vocab), batchSize, maxDecodeSteps);
    }

    /**
     * The texts cut into slices at multiples of the generator's batch rows (so each slice makes the batches the
     * whole run makes), one task per slice, the outputs joined in order.
     */
    @Override
    public List<TextGenerator.Output> generate(String master, Path model, WeightOptions held, Path vocab,
                                               List<String> texts, INDArray prompt, TextGenerator.Options options) {
        JavaSparkContext sc = context(master, "t5pt generate");
        try {
            int slice = options.batchRows() * SparkEvaluator.BATCHES_PER_TASK;
            List<List<String>> slices = new ArrayList<>();
            for (int from = 0; from < texts.size(); from += slice) {
                slices.add(new ArrayList<>(texts.subList(from, Math.min(texts.size(), from + slice))));
            }
            GenerateTask task = new GenerateTask(new ModelRef(location(model), held), vocab == null ? null : location(vocab),
                    prompt == null ? null : prompt.data().asFloat(), prompt == null ? null : prompt.shape(), options);
            List<TextGenerator.Output> out = new ArrayList<>();
            sc.parallelize(slices, Math.max(1, slices.size())).map(task).collect().forEach(out::addAll);
            return out;
        } finally {
            sc.stop();
        }
    }

    /** The bytes at a Hadoop FileSystem URL, with the Hadoop configuration of this run's Spark context. */
    @Override
    public byte[] read(String master, String location) throws java.io.IOException {
        JavaSparkContext sc = context(master, "t5pt");
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
        org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(sc.hadoopConfiguration());
        try (java.io.InputStream in = fs.open(p)) {
            return in.readAllBytes();
        } catch (java.io.FileNotFoundException e) {
            throw new java.nio.file.NoSuchFileException(location, null, "no such file");
        }
    }

    /** A context for master, or for the master spark-submit set (spark.master). */
    static JavaSparkContext context(String master, String app) {
        SparkConf conf = new SparkConf().setAppName(app).set("spark.ui.enabled", "false");
        if (!conf.contains("spark.master")) {
            conf.setMaster(master);
        }
        return JavaSparkContext.fromSparkContext(org.apache.spark.SparkContext.getOrCreate(conf));
    }

    /** A path every executor can read: a URL as given (hdfs://, s3a://, file://), a local path made absolute. */
    static String location(Path p) {
        return p.toString().contains("://") ? p.toString() : p.toAbsolutePath().normalize().toString();
    }
}
