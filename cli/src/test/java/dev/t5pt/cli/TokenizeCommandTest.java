package dev.t5pt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void encodesAndDecodesJsonLines() throws Exception {
        Path in = tmp.resolve("in.jsonl");
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', 'a', 'b', (byte) 0xff, 'c', 'd', '"', '}', '\n'};
        Files.write(in, ("{\"text\": \"Hello there\"}\r\n{\"text\": \"a <extra_id_0> b\"}\n").getBytes(StandardCharsets.UTF_8));
        Files.write(in, bad, java.nio.file.StandardOpenOption.APPEND);
        Cli r = Cli.run("tokenize", "--in", in.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals("{\"ids\":[8774,132,1],\"pieces\":[\"▁Hello\",\"▁there\",\"</s>\"]}", lines[0]);
        assertEquals("{\"ids\":[3,9,32099,3,115,1],\"pieces\":[\"▁\",\"a\",\"<extra_id_0>\",\"▁\",\"b\",\"</s>\"]}", lines[1]);
        assertTrue(lines[2].startsWith("{\"ids\":[703,2,75,26,1]"), lines[2]); // as sp.encode(b"ab\xffcd") + EOS

        Path ids = tmp.resolve("ids.jsonl");
        Files.writeString(ids, "{\"ids\": [8774, 132, 1, 32099]}\n");
        Cli d = Cli.run("tokenize", "--decode", "--in", ids.toString());
        assertEquals("{\"text\":\"Hello there\"}", d.out().strip());
    }

    @Test
    void badLinesNameFileAndLine() throws Exception {
        Path in = tmp.resolve("bad.jsonl");
        Files.writeString(in, "{\"text\": \"ok\"}\n{\"text\": 12}\n");
        Cli r = Cli.run("tokenize", "--in", in.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.jsonl:2") && r.err().contains("\"text\""), r.err());
        Files.writeString(in, "{nope\n");
        r = Cli.run("tokenize", "--in", in.toString());
        assertTrue(r.err().contains("bad.jsonl:1: not valid JSON"), r.err());
        Files.writeString(in, "{\"ids\": [5, 40000]}\n");
        r = Cli.run("tokenize", "--decode", "--in", in.toString());
        assertTrue(r.err().contains("bad.jsonl:1") && r.err().contains("40000"), r.err());
    }
}
