package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Json;

/**
 * The real T5 / PixArt {@code spiece.model} against 600 tokenizations of the slow T5Tokenizer
 * (legacy=True), golden README §9 "real-vocab/": every case exact, ids and mask.
 */
class T5TokenizerRealVocabTest {
    static T5Tokenizer tokenizer;
    static JsonNode cases;

    @BeforeAll
    static void load() {
        tokenizer = T5Tokenizer.load(Golden.model("real-vocab"));
        cases = Json.read(Golden.model("real-vocab/tokens.json")).get("cases");
    }

    @Test
    void vocabularyIsTheReleasedOne() {
        assertEquals(32000, tokenizer.model().size());
        assertEquals(32100, tokenizer.vocabSize());
        for (int n = 0; n < 100; n++) {
            assertEquals(32099 - n, tokenizer.tokenToId("<extra_id_" + n + ">"));
        }
    }

    @Test
    void everyReferenceTokenizationIsExact() {
        assertAllExact(tokenizer);
    }

    /**
     * A tokenizer folder with spiece.model alone: the sentinels then come from
     * {@code T5Tokenizer.__init__}'s defaults (100 extra ids, lstrip and rstrip) and must give
     * the same ids as the published tokenizer_config.json.
     */
    @Test
    void spieceModelAloneBuildsTheSameSentinels(@TempDir Path dir) throws Exception {
        Files.copy(Golden.model("real-vocab/spiece.model"), dir.resolve("spiece.model"));
        assertAllExact(T5Tokenizer.load(dir));
    }

    /**
     * The sentinels' lstrip/rstrip (Python's {@code str.rstrip()} / {@code lstrip()} on the
     * neighbouring text): invisible for ASCII spaces, which SentencePiece drops anyway, but not
     * for U+0085 (Python whitespace, an unknown piece to SentencePiece), so the reference cases
     * alone would not notice a sentinel that keeps it.
     */
    @Test
    void sentinelsEatPythonWhitespaceThatSentencePieceKeeps() {
        assertEquals(List.of("\u2581", "x", "\u0085"), tokenizer.pieces("x\u0085"), "U+0085 alone stays a piece");
        List<String> expected = new ArrayList<>(tokenizer.pieces("x"));
        expected.add("<extra_id_7>");
        expected.addAll(tokenizer.pieces("y"));
        assertEquals(expected, tokenizer.pieces("x\u0085 \u0085<extra_id_7>\u0085\u3000\u0085y"));
        assertEquals(32099 - 7, tokenizer.encode("x\u0085<extra_id_7>", 8).inputIds()[2]);
    }

    private static void assertAllExact(T5Tokenizer tokenizer) {
        assertEquals(600, cases.size());
        List<String> mismatches = new ArrayList<>();
        int sentinelCases = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int maxLength = c.get("max_length").asInt();
            if (text.contains("<extra_id_")) {
                sentinelCases++;
            }
            long[] refIds = longs(c.get("input_ids"));
            long[] refMask = longs(c.get("attention_mask"));
            T5Tokenizer.Encoding e = tokenizer.encode(text, maxLength);
            if (!Arrays.equals(refIds, e.inputIds()) || !Arrays.equals(refMask, e.attentionMask())) {
                mismatches.add("max_length " + maxLength + " " + Json.MAPPER.valueToTree(text)
                        + "\n  expected " + Arrays.toString(trim(refIds, refMask))
                        + "\n  actual   " + Arrays.toString(trim(e.inputIds(), e.attentionMask())));
            }
        }
        assertTrue(sentinelCases > 0, "the reference set has texts with typed sentinels");
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + cases.size() + " cases differ:\n"
                + String.join("\n", mismatches.subList(0, Math.min(10, mismatches.size()))));
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    /** The ids under mask 1, for a readable message. */
    private static long[] trim(long[] ids, long[] mask) {
        int n = 0;
        while (n < mask.length && mask[n] == 1) {
            n++;
        }
        return Arrays.copyOf(ids, n);
    }
}
