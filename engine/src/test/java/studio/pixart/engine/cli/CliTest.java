package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Json;

class CliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PixArtCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static final String TINY = Golden.model("tiny-pixart-sigma").toString();

    @Test
    void inspectShowsComponents() {
        Run r = run("inspect", TINY);
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("PixArtSigmaPipeline") && r.out.contains("PixArt-Σ"), r.out);
    }

    @Test
    void tokenizeMatchesGoldenIdsThroughTheCli() {
        try (Golden g = Golden.load("tokenizer/tokenizer_maxlen16")) {
            JsonNode strings = g.params().get("strings");
            long[] ids = g.longs("input_ids");
            for (int i = 0; i < 5; i++) {
                String text = strings.get(i).get("text").asText();
                Run r = run("tokenize", "--model", TINY, "--max-length", "16", "--raw", "--json", "--", text);
                assertEquals(0, r.code, r.err);
                JsonNode row = Json.parse(r.out).get(0);
                for (int k = 0; k < 16; k++) {
                    assertEquals(ids[i * 16 + k], row.get("input_ids").get(k).asLong(), "string " + i + " token " + k);
                }
            }
        }
    }

    @Test
    void tokenizeDefaultsToVariantLengthAndPreprocesses() {
        Run r = run("tokenize", "--model", TINY, "--json", "--", "  A Red FOX ");
        assertEquals(0, r.code, r.err);
        JsonNode row = Json.parse(r.out).get(0);
        assertEquals(300, row.get("input_ids").size());
        Run lower = run("tokenize", "--model", TINY, "--json", "--raw", "--", "a red fox");
        assertEquals(lower.out, r.out);
    }

    @Test
    void errorsGoToStderrWithNonZeroExit() {
        Run r = run("inspect", "/no/such/model");
        assertTrue(r.code != 0);
        assertTrue(r.err.contains("error:") && r.err.contains("folder not found"), r.err);
        Run bad = run("tokenize", "--model", TINY);
        assertTrue(bad.code != 0);
    }
}
