package dev.t5pt.spark;

import dev.t5pt.generate.TextGenerator;
import dev.t5pt.model.Activations;
import dev.t5pt.model.T5Model;
import dev.t5pt.tokenizer.T5Tokenizer;
import dev.t5pt.io.PromptFiles;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ML Transformer: mixed-task batches give each row what it gives alone; rank classification scores every label. */
class T5PromptTransformerTest {
    static final Path MODEL = Path.of("../models/tiny-t5-demo");
    static final Path PROMPT = Path.of("../models/tiny-t5-demo/prompts/sentiment");

    @Test
    void mixedTasksPerRowAndRankClassification() throws Exception {
        List<String> texts = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of("../demo/sentiment-dev.jsonl")).subList(0, 12)) {
            texts.add(l.replaceAll(".*\"input\": \"([^\"]*)\".*", "$1"));
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i), i % 3 == 0 ? "plain" : "sentiment"));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType)
                .add("task", DataTypes.StringType);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("t5pt test").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
            T5PromptTransformer t = new T5PromptTransformer().setModel(T5PromptTransformer.location(MODEL))
                    .setInputCol("text").setTaskCol("task").setPrompt("sentiment", T5PromptTransformer.location(PROMPT))
                    .setOutputCol("answer").setBatchSize(5).setMaxSteps(3);
            List<Row> out = t.transform(df).orderBy("id").collectAsList();

            T5Model m = T5Model.load(MODEL);
            T5Tokenizer tok = T5Tokenizer.t5Default();
            INDArray p = PromptFiles.read(PROMPT, m.config().dModel());
            assertEquals(texts.size(), out.size());
            for (Row r : out) {
                int i = r.getInt(0);
                String alone = TextGenerator.generate(m, tok, new Activations(), List.of(texts.get(i)), i % 3 == 0 ? null : p,
                        new TextGenerator.Options(1, 3, 1, 1.0)).get(0).text();
                assertEquals(alone, r.getString(3), "row " + i + " (" + r.getString(2) + ")");
            }

            List<Row> ranked = t.copy(new org.apache.spark.ml.param.ParamMap()).setCandidates(List.of("positive", "negative"))
                    .transform(df).orderBy("id").collectAsList();
            for (Row r : ranked) {
                assertTrue(List.of("positive", "negative").contains(r.getString(3)), r.toString());
                List<Double> scores = r.getList(4);
                assertEquals(2, scores.size());
                assertEquals(scores.get(0) <= scores.get(1) ? "positive" : "negative", r.getString(3));
            }
        } finally {
            spark.stop();
        }
    }
}
