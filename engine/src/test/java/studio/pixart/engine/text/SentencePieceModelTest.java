package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.ConfigException;

/** The SentencePiece reader on hand-built models, and its errors on broken files. */
class SentencePieceModelTest {
    static final Path SPIECE = Golden.model("tiny-pixart-sigma/tokenizer/spiece.model");

    @TempDir
    Path tmp;

    // ------------------------------------------------------------ behaviour on a hand-built model

    @Test
    void segmentsByScoreMergesUnknownRunsAndKeepsUserSymbols() {
        byte[] proto = model(1, List.of(
                piece("<pad>", 0, 3), piece("</s>", 0, 3), piece("<unk>", 0, 2),
                piece("\u2581", -1, 1), piece("a", -2, 1), piece("b", -2, 1),
                piece("ab", -3, 1), piece("\u2581ab", -3.5f, 1), piece("<sep>", 0, 4)));
        SentencePieceModel m = SentencePieceModel.parse(tmp.resolve("hand.model"), proto);
        assertEquals(9, m.size());
        assertEquals(2, m.unkId());
        // no charsmap: only the whitespace rules apply
        assertEquals("\u2581ab\u2581b", m.normalize("  ab    b "));
        assertEquals("", m.normalize("   "));
        // "▁ab" (-3.5) beats "▁"+"ab" (-4) and "▁"+"a"+"b" (-5)
        assertEquals(List.of(tok("\u2581ab", 7)), m.encode("ab"));
        // three unknown characters (one astral) are one <unk> piece carrying their text
        assertEquals(List.of(tok("\u2581", 3), tok("xy\uD83D\uDE00", 2), tok("a", 4)), m.encode("xy\uD83D\uDE00a"));
        // a user-defined symbol is never split, even where pieces would score better
        assertEquals(List.of(tok("\u2581", 3), tok("<sep>", 8), tok("ab", 6)), m.encode("<sep>ab"));
        assertEquals(6, m.pieceToId("ab"));
        assertEquals(2, m.pieceToId("zzz"));
    }

    @Test
    void normalizesWithThePrecompiledCharsmap() {
        SentencePieceModel m = SentencePieceModel.load(SPIECE);
        assertEquals("nmt_nfkc", m.normalizerName());
        // full width folded, NBSP/ideographic space -> space, collapsed, stripped; ligature split
        assertEquals("\u2581Full-width\u2581ABC", m.normalize("\u3000\uFF26\uFF55\uFF4C\uFF4C\uFF0D\uFF57\uFF49\uFF44\uFF54\uFF48\u00A0\u00A0\uFF21\uFF22\uFF23 "));
        assertEquals("\u2581fi", m.normalize("\uFB01"));
    }

    // ------------------------------------------------------------ broken inputs

    @Test
    void missingFileNamesThePath() {
        Path missing = tmp.resolve("nothing/spiece.model");
        ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceModel.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        // a tokenizer folder without spiece.model
        ConfigException e2 = assertThrows(ConfigException.class, () -> T5Tokenizer.load(tmp));
        assertTrue(e2.getMessage().contains(tmp.resolve("spiece.model").toString()), e2.getMessage());
    }

    @Test
    void truncatedModelIsRejected() throws Exception {
        byte[] full = Files.readAllBytes(SPIECE);
        for (int cut : new int[] {7, full.length / 2, full.length - 3}) {
            Path f = tmp.resolve("cut" + cut + ".model");
            Files.write(f, Arrays.copyOf(full, cut));
            ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceModel.load(f));
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("not a valid SentencePiece model"), e.getMessage());
        }
    }

    @Test
    void garbageIsRejected() throws Exception {
        Path text = tmp.resolve("text.model");
        Files.writeString(text, "this is not a sentencepiece model\n");
        assertThrows(ConfigException.class, () -> SentencePieceModel.load(text));
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        Path random = tmp.resolve("random.model");
        Files.write(random, noise);
        ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceModel.load(random));
        assertTrue(e.getMessage().contains(random.toString()), e.getMessage());
        Path empty = tmp.resolve("empty.model");
        Files.write(empty, new byte[0]);
        ConfigException e2 = assertThrows(ConfigException.class, () -> SentencePieceModel.load(empty));
        assertTrue(e2.getMessage().contains("no pieces"), e2.getMessage());
    }

    @Test
    void bpeModelIsRejected() throws Exception {
        Path f = tmp.resolve("bpe.model");
        Files.write(f, model(2, List.of(piece("<unk>", 0, 2), piece("a", -1, 1))));
        ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceModel.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("BPE"), e.getMessage());
    }

    @Test
    void modelWithoutUnknownPieceIsRejected() throws Exception {
        Path f = tmp.resolve("nounk.model");
        Files.write(f, model(1, List.of(piece("a", -1, 1))));
        ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceModel.load(f));
        assertTrue(e.getMessage().contains("unknown"), e.getMessage());
    }

    // ------------------------------------------------------------ a minimal protobuf writer

    private static SentencePieceModel.Token tok(String piece, int id) {
        return new SentencePieceModel.Token(piece, id);
    }

    /** One ModelProto.SentencePiece message: piece (1), score (2, float), type (3). */
    private static byte[] piece(String text, float score, int type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bytesField(out, 1, text.getBytes(StandardCharsets.UTF_8));
        varint(out, (2 << 3) | 5);
        int bits = Float.floatToIntBits(score);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        varint(out, 3 << 3);
        varint(out, type);
        return out.toByteArray();
    }

    /** A ModelProto with the given pieces and trainer_spec.model_type; no charsmap. */
    private static byte[] model(int modelType, List<byte[]> pieces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : pieces) {
            bytesField(out, 1, p);
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varint(trainer, 3 << 3);
        varint(trainer, modelType);
        bytesField(out, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        bytesField(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        bytesField(out, 3, normalizer.toByteArray());
        return out.toByteArray();
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] value) {
        varint(out, (field << 3) | 2);
        varint(out, value.length);
        out.writeBytes(value);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
