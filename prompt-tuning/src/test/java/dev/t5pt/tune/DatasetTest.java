package dev.t5pt.tune;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data formats a user brings: JSONL, TSV, CSV; BOMs, headers, invalid UTF-8, non-text labels. */
class DatasetTest {
    @TempDir
    Path tmp;

    Path file(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, content);
        return p;
    }

    Path file(String name, String content) throws IOException {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    static List<String> pairs(Dataset d) {
        return d.examples().stream().map(e -> e.input() + "|" + e.target() + "@" + e.line()).toList();
    }

    @Test
    void byteOrderMarkAndCrLfAreAccepted() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] text = "{\"input\": \"a\", \"target\": \"x\"}\r\n{\"input\": \"b\", \"target\": \"y\"}\r\n".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[bom.length + text.length];
        System.arraycopy(bom, 0, all, 0, 3);
        System.arraycopy(text, 0, all, 3, text.length);
        assertEquals(List.of("a|x@1", "b|y@2"), pairs(Dataset.read(file("bom.jsonl", all), "input", "target", false)));
        byte[] tsv = "\uFEFFinput\ttarget\nhello\tworld\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("hello|world@2"), pairs(Dataset.read(file("bom.tsv", tsv), "input", "target", false)));
    }

    @Test
    void invalidUtf8NamesItsLineAndObeysSkipBad() throws Exception {
        byte[] good = "{\"input\": \"a\", \"target\": \"x\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 'i', (byte) 0xC3, (byte) 0x28, '\n'};
        byte[] all = new byte[good.length * 2 + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        System.arraycopy(good, 0, all, good.length + bad.length, good.length);
        Path p = file("bad.jsonl", all);
        IOException e = assertThrows(IOException.class, () -> Dataset.read(p, "input", "target", false));
        assertTrue(e.getMessage().contains("bad.jsonl:2: not valid UTF-8"), e.getMessage());
        assertEquals(DataException.Remedy.SKIP_BAD_LINES, ((DataException) e).remedy());
        Dataset d = Dataset.read(p, "input", "target", true);
        assertEquals(List.of("a|x@1", "a|x@3"), pairs(d));
        assertEquals(1, d.skipped());
    }

    @Test
    void tsvHeaderIsSkippedOnlyOnTheFirstLine() throws Exception {
        Path p = file("d.tsv", "input\ttarget\nthe film\tpositive\ninput\ttarget\n");
        assertEquals(List.of("the film|positive@2", "input|target@3"), pairs(Dataset.read(p, "input", "target", false)));
        Path q = file("q.tsv", "sentence\tlabel\nthe film\tpositive\n");
        assertEquals(List.of("the film|positive@2"), pairs(Dataset.read(q, "sentence", "label", false)));
    }

    @Test
    void csvFollowsRfc4180AndItsHeaderNamesTheFields() throws Exception {
        Path p = file("d.csv", "id,target,input\n1,positive,\"a film, \"\"great\"\"\"\n2,negative,\"two\nlines\"\n3,negative,plain\n");
        assertEquals(List.of("a film, \"great\"|positive@2", "two\nlines|negative@3", "plain|negative@5"),
                pairs(Dataset.read(p, "input", "target", false)));
        Path noColumn = file("n.csv", "text,label\na,b\n");
        IOException e = assertThrows(IOException.class, () -> Dataset.read(noColumn, "input", "target", false));
        assertTrue(e.getMessage().contains("n.csv:1") && e.getMessage().contains("\"input\""), e.getMessage());
        Path ragged = file("r.csv", "input,target\na,b\nc\n");
        IOException r = assertThrows(IOException.class, () -> Dataset.read(ragged, "input", "target", false));
        assertTrue(r.getMessage().contains("r.csv:3: expected 2 fields"), r.getMessage());
        assertEquals(1, Dataset.read(ragged, "input", "target", true).skipped());
    }

    @Test
    void jsonLabelsAsTextAndWrongFieldsNamed() throws Exception {
        Path p = file("n.jsonl", "{\"input\": \"2+2\", \"target\": 4}\n{\"input\": \"sky is blue\", \"target\": true}\n{\"input\": \"x\", \"target\": 1.5}\n");
        assertEquals(List.of("2+2|4@1", "sky is blue|true@2", "x|1.5@3"), pairs(Dataset.read(p, "input", "target", false)));
        Path q = file("w.jsonl", "{\"text\": \"a\", \"label\": \"b\"}\n");
        IOException e = assertThrows(IOException.class, () -> Dataset.read(q, "input", "target", false));
        assertTrue(e.getMessage().contains("w.jsonl:1: no field \"input\"") && e.getMessage().contains("\"text\", \"label\""), e.getMessage());
        assertEquals(DataException.Remedy.FIELD_NAMES, ((DataException) e).remedy());
        assertTrue(!e.getMessage().contains("--"), "the library names no command-line flag: " + e.getMessage());
        Path o = file("o.jsonl", "{\"input\": \"a\", \"target\": {\"x\": 1}}\n");
        IOException f = assertThrows(IOException.class, () -> Dataset.read(o, "input", "target", false));
        assertTrue(f.getMessage().contains("field \"target\" is a JSON object"), f.getMessage());
    }

    @Test
    void emptyTargetsAreCounted() throws Exception {
        Path p = file("e.tsv", "a\t\nb\tx\n");
        assertEquals(1, Dataset.read(p, "input", "target", false).emptyTargets());
    }
}
