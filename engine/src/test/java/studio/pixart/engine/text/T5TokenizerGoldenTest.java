package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;

/** Every string of the tokenizer goldens (README §5 "tokenizer/", §7 items 1-4): exact ids, masks, pieces. */
class T5TokenizerGoldenTest {
    static T5Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = T5Tokenizer.load(Golden.model("tiny-pixart-sigma/tokenizer"));
    }

    @Test
    void vocabularyMatchesTheReadme() {
        assertEquals(200, tokenizer.model().size());
        assertEquals(300, tokenizer.vocabSize());
        assertEquals(1, tokenizer.eosId());
        assertEquals(0, tokenizer.padId());
        assertEquals(2, tokenizer.model().unkId());
        for (int i = 0; i < 100; i++) {
            assertEquals(299 - i, tokenizer.tokenToId("<extra_id_" + i + ">"));
        }
    }

    @Test
    void maxLength16() {
        checkCase("tokenizer/tokenizer_maxlen16");
    }

    @Test
    void maxLength300() {
        checkCase("tokenizer/tokenizer_maxlen300");
    }

    private static void checkCase(String name) {
        try (Golden g = Golden.load(name)) {
            int maxLength = g.params().get("max_length").asInt();
            JsonNode strings = g.params().get("strings");
            long[] ids = g.longs("input_ids");
            long[] masks = g.longs("attention_mask");
            assertArrayEquals(new long[] {strings.size(), maxLength}, g.shape("input_ids"));
            List<String> texts = new ArrayList<>();
            strings.forEach(s -> texts.add(s.get("text").asText()));
            List<T5Tokenizer.Encoding> all = tokenizer.encodeAll(texts, maxLength);
            for (int i = 0; i < strings.size(); i++) {
                JsonNode s = strings.get(i);
                String what = name + " string " + i + " " + s.get("text");
                T5Tokenizer.Encoding e = all.get(i);
                List<String> pieces = new ArrayList<>();
                s.get("pieces").forEach(p -> pieces.add(p.asText()));
                assertEquals(pieces, e.pieces(), what + ": pieces");
                assertEquals(pieces, tokenizer.pieces(texts.get(i)), what + ": pieces()");
                assertEquals(s.get("num_tokens_before_eos").asInt(), e.pieces().size(), what);
                assertEquals(s.get("truncated").asBoolean(), e.truncated(), what + ": truncated");
                long[] refIds = Arrays.copyOfRange(ids, i * maxLength, (i + 1) * maxLength);
                long[] refMask = Arrays.copyOfRange(masks, i * maxLength, (i + 1) * maxLength);
                Golden.assertExact(what + ": input_ids", refIds, e.inputIds());
                Golden.assertExact(what + ": attention_mask", refMask, e.attentionMask());
            }
        }
    }

    @Test
    void textPreprocessMatchesPython() {
        try (Golden g = Golden.load("tokenizer/text_preprocess")) {
            JsonNode pairs = g.params().get("pairs");
            assertEquals(40, pairs.size());
            for (JsonNode p : pairs) {
                assertEquals(p.get("preprocessed").asText(), PromptText.preprocess(p.get("text").asText()),
                        "preprocess of " + p.get("text"));
            }
        }
    }
}
