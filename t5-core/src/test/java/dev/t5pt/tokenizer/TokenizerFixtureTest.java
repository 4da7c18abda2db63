package dev.t5pt.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** All 411 golden cases of python sentencepiece 0.1.97 with T5's vocabulary: ids, T5 ids, pieces, decoding. */
class TokenizerFixtureTest {
    static final T5Tokenizer T5 = T5Tokenizer.t5Default();

    record Case(int line, String text, int[] ids, int[] idsT5, List<String> pieces, String decoded) {
    }

    static List<Case> cases() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<Case> out = new ArrayList<>();
        try (var r = new BufferedReader(new InputStreamReader(
                TokenizerFixtureTest.class.getResourceAsStream("/fixtures/tokenizer/t5-spiece-cases.jsonl"),
                StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                JsonNode j = json.readTree(line);
                List<String> pieces = new ArrayList<>();
                j.get("pieces").forEach(p -> pieces.add(p.asText()));
                out.add(new Case(n, j.get("text").asText(), ints(j.get("ids")), ints(j.get("ids_t5")), pieces,
                        j.get("decoded").asText()));
            }
        }
        return out;
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void everyCaseMatchesTheReference() throws Exception {
        List<Case> cases = cases();
        assertEquals(411, cases.size());
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            var plain = T5.encode(c.text(), false, false);
            check(failures, c, "ids", java.util.Arrays.toString(c.ids()), java.util.Arrays.toString(plain.ids()));
            check(failures, c, "pieces", c.pieces().toString(), plain.pieces().toString());
            check(failures, c, "ids_t5", java.util.Arrays.toString(c.idsT5()), java.util.Arrays.toString(T5.encode(c.text())));
            check(failures, c, "decoded", c.decoded(), T5.sentencePiece().decode(c.ids()));
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n",
                failures.subList(0, Math.min(20, failures.size()))));
    }

    private static void check(List<String> failures, Case c, String what, String expected, String actual) {
        if (!expected.equals(actual)) {
            failures.add("line " + c.line() + " " + what + " text=" + c.text().substring(0, Math.min(60, c.text().length()))
                    .replace("\n", "\\n") + "\n   expected " + expected + "\n   actual   " + actual);
        }
    }
}
