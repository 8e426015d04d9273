package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;

/** Loading variants, the token counter and the special-token rules of T5Tokenizer. */
class T5TokenizerTest {
    static final Path DIR = Golden.model("tiny-pixart-sigma/tokenizer");

    @TempDir
    Path tmp;

    @Test
    void aBareSpieceModelGivesTheSameTokenizerAsTheFolder() throws Exception {
        // Without tokenizer_config.json the sentinels come from extra_ids=100 like T5Tokenizer.__init__.
        Path bare = tmp.resolve("spiece.model");
        Files.copy(DIR.resolve("spiece.model"), bare);
        T5Tokenizer fromFile = T5Tokenizer.load(bare);
        T5Tokenizer fromDir = T5Tokenizer.load(DIR);
        assertEquals(fromDir.vocabSize(), fromFile.vocabSize());
        for (String text : List.of("<extra_id_0> fills the <extra_id_1> blank", "unknown literal <unk> and <pad> here",
                "text ending with </s>", "<extra_id_10>x<extra_id_1>  <extra_id_99>")) {
            assertArrayEquals(fromDir.encode(text, 32).inputIds(), fromFile.encode(text, 32).inputIds(), text);
        }
    }

    @Test
    void specialTokenRules() {
        T5Tokenizer t = T5Tokenizer.load(DIR);
        // longest match: <extra_id_10> is not <extra_id_1> followed by "0>"
        assertEquals(List.of("<extra_id_10>"), t.pieces("<extra_id_10>"));
        assertEquals(289, t.encode("<extra_id_10>", 4).inputIds()[0]);
        // a literal </s> at the end is kept and no second </s> is appended
        T5Tokenizer.Encoding e = t.encode("a</s>", 8);
        assertArrayEquals(new long[] {t.tokenToId("\u2581a"), 1, 0, 0, 0, 0, 0, 0}, e.inputIds());
        assertEquals(2, e.length());
        // a literal <pad> is a real token: mask 1 although its id is 0
        T5Tokenizer.Encoding p = t.encode("<pad>", 4);
        assertArrayEquals(new long[] {0, 1, 0, 0}, p.inputIds());
        assertArrayEquals(new long[] {1, 1, 0, 0}, p.attentionMask());
        // empty text and max_length 1
        assertArrayEquals(new long[] {1, 0, 0}, t.encode("", 3).inputIds());
        assertArrayEquals(new long[] {1}, t.encode("a photo", 1).inputIds());
        assertThrows(IllegalArgumentException.class, () -> t.encode("a", 0));
    }

    @Test
    void tokenCounterReportsUsageAndTheCutText() {
        T5Tokenizer t = T5Tokenizer.load(DIR);
        T5Tokenizer.TokenCount fits = t.count("  A Photo Of A Cat ", 16);
        // pre-processed to "a photo of a cat": 12 pieces + </s>
        assertEquals(new T5Tokenizer.TokenCount(13, 16, false, ""), fits);
        T5Tokenizer.TokenCount over = t.count("a photo of a cat on a red sofa", 8);
        List<String> pieces = t.pieces("a photo of a cat on a red sofa");
        assertEquals(pieces.size() + 1, over.used());
        assertTrue(over.over());
        // 7 pieces are kept ("▁a ▁p h o t o ▁"), the rest is cut
        assertEquals("of a cat on a red sofa", over.cutText());
        assertFalse(t.count("a", 2).over());
        assertTrue(t.count("ab", 2).over());
    }

    @Test
    void encodingIsLinearInTheTextLength() {
        T5Tokenizer t = T5Tokenizer.load(DIR);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 50_000) {
            sb.append("a watercolor painting of a quiet harbor at dawn \uD83D\uDE80 ");
        }
        long start = System.nanoTime();
        T5Tokenizer.Encoding e = t.encode(sb.toString(), 300);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(e.truncated());
        assertEquals(300, e.length());
        // 50k characters: milliseconds when linear; a quadratic pass would take minutes
        assertTrue(seconds < 10, "encoding 50k characters took " + seconds + " s");
        List<String> texts = new ArrayList<>();
        texts.add(sb.toString());
        assertEquals(1, t.encodeAll(texts, 300).size());
    }
}
