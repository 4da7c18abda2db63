package dev.t5pt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.t5pt.tokenizer.SentencePieceTokenizer;
import dev.t5pt.tokenizer.T5Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.t5pt.tokenizer.Utf8;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Text to T5 token ids and back, exactly as SentencePiece and Hugging Face's T5Tokenizer.",
                "Reads --text TEXT, or JSON Lines from stdin (or --in): {\"text\": ...} per line, or {\"ids\": [...]} with --decode;",
                "writes one JSON line per input: {\"ids\": [...], \"pieces\": [...]} or {\"text\": ...}.",
                "Invalid UTF-8 bytes inside the JSON are tokenized as the reference tokenizes those bytes",
                "(each becomes U+FFFD, a run of them one <unk>); lone surrogates likewise."})
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    VocabOption vocab;

    @Option(names = "--in", paramLabel = "FILE", description = "read this JSON Lines file instead of stdin")
    Path in;

    @Option(names = "--no-eos", description = "do not append EOS (id 1)")
    boolean noEos;

    @Option(names = "--no-sentinels", description = "treat <extra_id_N> as plain text instead of sentinel ids 32099-N")
    boolean noSentinels;

    @Option(names = "--decode", description = "ids to text instead")
    boolean decode;

    @Option(names = "--text", paramLabel = "TEXT", description = "plain text to tokenize (repeatable) instead of JSON Lines input")
    java.util.List<String> texts;

    @Override
    public Integer call() throws IOException {
        T5Tokenizer tok = vocab.tokenizer();
        ObjectMapper json = new ObjectMapper();
        PrintWriter out = spec.commandLine().getOut();
        if (texts != null) {
            if (decode || in != null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--text encodes plain text: not with --decode or --in");
            }
            for (String t : texts) {
                out.println(json.writeValueAsString(encode(json, tok, t)));
            }
            out.flush();
            return 0;
        }
        String source = in == null ? "stdin" : in.toString();
        try (InputStream raw = new BufferedInputStream(in == null ? System.in : Files.newInputStream(dev.t5pt.io.IoErrors.requireFile(in, "a JSON Lines file")), 1 << 16)) {
            String line;
            int n = 0;
            while ((line = readLine(raw)) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException(source + ":" + n + ": not valid JSON: " + e.getOriginalMessage());
                }
                ObjectNode result = json.createObjectNode();
                if (decode) {
                    JsonNode ids = node == null ? null : node.get("ids");
                    if (ids == null || !ids.isArray()) {
                        throw new IllegalArgumentException(source + ":" + n + ": expected {\"ids\": [integers]}");
                    }
                    int[] a = new int[ids.size()];
                    for (int i = 0; i < a.length; i++) {
                        if (!ids.get(i).canConvertToInt()) {
                            throw new IllegalArgumentException(source + ":" + n + ": ids[" + i + "] = " + ids.get(i) + " is not an id");
                        }
                        a[i] = ids.get(i).intValue();
                    }
                    try {
                        result.put("text", tok.decode(a));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(source + ":" + n + ": " + e.getMessage());
                    }
                } else {
                    JsonNode text = node == null ? null : node.get("text");
                    if (text == null || !text.isTextual()) {
                        throw new IllegalArgumentException(source + ":" + n + ": expected {\"text\": \"...\"}");
                    }
                    result = encode(json, tok, text.textValue());
                }
                out.println(json.writeValueAsString(result));
            }
        }
        out.flush();
        return 0;
    }

    private ObjectNode encode(ObjectMapper json, T5Tokenizer tok, String text) {
        SentencePieceTokenizer.Encoding e = tok.encode(text, !noEos, !noSentinels);
        ObjectNode result = json.createObjectNode();
        ArrayNode ids = result.putArray("ids");
        for (int id : e.ids()) {
            ids.add(id);
        }
        ArrayNode pieces = result.putArray("pieces");
        e.pieces().forEach(pieces::add);
        return result;
    }

    /** One line (without its \n or \r\n); malformed UTF-8 bytes kept as U+DC80+byte; null at the end. */
    private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

    private String readLine(InputStream in) throws IOException {
        buf.reset();
        int c;
        boolean any = false;
        while ((c = in.read()) >= 0) {
            any = true;
            if (c == '\n') {
                break;
            }
            buf.write(c);
        }
        if (!any) {
            return null;
        }
        byte[] b = buf.toByteArray();
        int end = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return Utf8.decodeSurrogateEscape(b, 0, end);
    }
}
