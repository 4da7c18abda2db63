package dev.t5pt.spark;

import dev.t5pt.generate.Greedy;
import dev.t5pt.generate.StepListener;
import dev.t5pt.generate.TextGenerator;
import dev.t5pt.model.Activations;
import dev.t5pt.model.Batch;
import dev.t5pt.model.RowPrompts;
import dev.t5pt.model.T5Model;
import dev.t5pt.tune.RankClassification;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.io.PromptFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Spark ML {@link Transformer}: one frozen T5 serving many tasks. Each row's text (the input column) goes through
 * the model with the soft prompt its task column names (or the default prompt; or none), and the output column
 * gets the generated text, or with {@link #setCandidates candidates} the candidate with the lowest NLL (rank
 * classification) plus a scores column of every candidate's NLL. Inside a partition rows are batched whatever
 * their tasks: each batch row carries its own prompt ({@link RowPrompts}), so a mixed batch computes what each
 * row computes alone.
 *
 * <pre>{@code
 * Dataset<Row> out = new T5PromptTransformer()
 *         .setModel("hdfs:///models/t5-base-lm-adapt").setInputCol("text").setTaskCol("task")
 *         .setPrompt("sst2", "hdfs:///prompts/sst2").setPrompt("rte", "hdfs:///prompts/rte").setOutputCol("answer")
 *         .transform(df);
 * }</pre>
 * Model and prompt locations must be readable by every executor (a local path on all of them, or a Hadoop URL).
 */
public final class T5PromptTransformer extends Transformer {
    private static final long serialVersionUID = 1L;
    private static final Map<String, INDArray> PROMPTS = new ConcurrentHashMap<>();   // per executor JVM

    private final String uid;
    private String model;
    private String vocab;
    private String inputCol = "input";
    private String outputCol = "output";
    private String taskCol;
    private String scoresCol = "scores";
    private String defaultPrompt;
    private final LinkedHashMap<String, String> prompts = new LinkedHashMap<>();
    private List<String> candidates;
    private int batchSize = 16;
    private int maxSteps = 16;

    public T5PromptTransformer() {
        this(Identifiable.randomUID("t5prompt"));
    }

    public T5PromptTransformer(String uid) {
        this.uid = uid;
    }

    public T5PromptTransformer setModel(String location) { this.model = location; return this; }
    public T5PromptTransformer setVocab(String location) { this.vocab = location; return this; }
    public T5PromptTransformer setInputCol(String c) { this.inputCol = c; return this; }
    public T5PromptTransformer setOutputCol(String c) { this.outputCol = c; return this; }
    /** The column naming each row's task (a key of {@link #setPrompt}); rows whose task has no prompt use the default. */
    public T5PromptTransformer setTaskCol(String c) { this.taskCol = c; return this; }
    public T5PromptTransformer setScoresCol(String c) { this.scoresCol = c; return this; }
    /** The prompt of one task: a PEFT adapter directory, .npy or .safetensors. */
    public T5PromptTransformer setPrompt(String task, String location) { prompts.put(task, location); return this; }
    /** The prompt of rows without a task (or with one that has none); unset: no prompt. */
    public T5PromptTransformer setDefaultPrompt(String location) { this.defaultPrompt = location; return this; }
    /** Rank classification among these labels instead of generation. */
    public T5PromptTransformer setCandidates(List<String> labels) { this.candidates = List.copyOf(labels); return this; }
    public T5PromptTransformer setBatchSize(int rows) { this.batchSize = rows; return this; }
    public T5PromptTransformer setMaxSteps(int steps) { this.maxSteps = steps; return this; }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (model == null) {
            throw new IllegalArgumentException("T5PromptTransformer: no model (setModel)");
        }
        require(schema, inputCol);
        if (taskCol != null) {
            require(schema, taskCol);
        }
        StructType out = schema.add(outputCol, DataTypes.StringType, false);
        return candidates == null ? out : out.add(scoresCol, DataTypes.createArrayType(DataTypes.DoubleType, false), false);
    }

    private static void require(StructType schema, String col) {
        if (!Arrays.asList(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException("T5PromptTransformer: no column \"" + col + "\" in " + Arrays.toString(schema.fieldNames()));
        }
        StructField f = schema.apply(col);
        if (!f.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("T5PromptTransformer: column \"" + col + "\" is " + f.dataType().simpleString() + ", expected string");
        }
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        int in = dataset.schema().fieldIndex(inputCol);
        int task = taskCol == null ? -1 : dataset.schema().fieldIndex(taskCol);
        T5PromptTransformer self = this;
        JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(it -> self.partition(it, in, task));
        return dataset.sparkSession().createDataFrame(rows, out);
    }

    /** One partition: batches of rows, each row with its task's prompt. */
    private Iterator<Row> partition(Iterator<Row> it, int in, int task) {
        T5Model m = ExecutorModels.model(new ModelRef(model, dev.t5pt.weights.WeightOptions.AS_STORED));
        T5Tokenizer tok = ExecutorModels.tokenizer(vocab);
        Activations act = ExecutorModels.activations();
        List<Row> out = new ArrayList<>();
        List<Row> batch = new ArrayList<>();
        while (it.hasNext()) {
            batch.add(it.next());
            if (batch.size() == batchSize || !it.hasNext()) {
                out.addAll(candidates == null ? generate(m, tok, act, batch, in, task) : rank(m, tok, act, batch, in, task));
                batch.clear();
            }
        }
        return out.iterator();
    }

    private List<Row> generate(T5Model m, T5Tokenizer tok, Activations act, List<Row> batch, int in, int task) {
        int[][] ids = new int[batch.size()][];
        INDArray[] p = new INDArray[batch.size()];
        for (int r = 0; r < ids.length; r++) {
            ids[r] = tok.encode(batch.get(r).getString(in));
            p[r] = promptOf(batch.get(r), task, m.config().dModel());
        }
        int[][] gen = Greedy.generate(m, act, Batch.padded(ids), RowPrompts.of(p), new Greedy.Options(maxSteps, true),
                StepListener.NONE);
        List<Row> out = new ArrayList<>();
        for (int r = 0; r < gen.length; r++) {
            out.add(append(batch.get(r), tok.decode(TextGenerator.untilEos(gen[r], tok.eosId())), null));
        }
        return out;
    }

    private List<Row> rank(T5Model m, T5Tokenizer tok, Activations act, List<Row> batch, int in, int task) {
        int[][] cand = new int[candidates.size()][];
        for (int c = 0; c < cand.length; c++) {
            cand[c] = tok.encode(candidates.get(c));
        }
        int[][] ids = new int[batch.size()][];
        INDArray[] p = new INDArray[batch.size()];
        for (int r = 0; r < batch.size(); r++) {
            ids[r] = tok.encode(batch.get(r).getString(in));
            p[r] = promptOf(batch.get(r), task, m.config().dModel());
        }
        double[][] scores = RankClassification.scores(m, act, Batch.padded(ids), p, cand);
        List<Row> out = new ArrayList<>();
        for (int r = 0; r < batch.size(); r++) {
            out.add(append(batch.get(r), candidates.get(RankClassification.best(scores[r])), scores[r]));
        }
        return out;
    }

    private static Row append(Row row, String output, double[] scores) {
        int n = row.length();
        Object[] v = new Object[n + (scores == null ? 1 : 2)];
        for (int i = 0; i < n; i++) {
            v[i] = row.get(i);
        }
        v[n] = output;
        if (scores != null) {
            v[n + 1] = scores;   // an array column takes a Java array (not a java.util.List)
        }
        return RowFactory.create(v);
    }

    private INDArray promptOf(Row row, int task, int dModel) {
        String t = task < 0 || row.isNullAt(task) ? null : row.getString(task);
        String location = t != null && prompts.containsKey(t) ? prompts.get(t) : defaultPrompt;
        if (location == null) {
            return null;
        }
        return PROMPTS.computeIfAbsent(location, l -> {
            try {
                return PromptFiles.read(ExecutorModels.local(l), dModel);
            } catch (IOException e) {
                throw new UncheckedIOException(l + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public T5PromptTransformer copy(ParamMap extra) {
        T5PromptTransformer c = new T5PromptTransformer(uid);
        c.model = model;
        c.vocab = vocab;
        c.inputCol = inputCol;
        c.outputCol = outputCol;
        c.taskCol = taskCol;
        c.scoresCol = scoresCol;
        c.defaultPrompt = defaultPrompt;
        c.prompts.putAll(prompts);
        c.candidates = candidates;
        c.batchSize = batchSize;
        c.maxSteps = maxSteps;
        return c;
    }

    /** A prompt location as executors read it: a local path made absolute, a URL as given. */
    public static String location(Path p) {
        return SparkEngine.location(p);
    }
}
