package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Json;

/** What every command promises: --help everywhere, arguments taken literally. */
class CliContractTest {
    static final String TINY = Golden.model("tiny-pixart-sigma").toString();

    @TempDir
    Path dir;

    @Test
    void everySubcommandAnswersHelp() {
        for (String cmd : List.of("inspect", "tokenize", "encode", "generate", "poster", "bench")) {
            CliTest.Run r = CliTest.run(cmd, "--help");
            assertEquals(0, r.code(), cmd + " --help: " + r.err());
            assertTrue(r.out().contains("Usage: pixart " + cmd), cmd + " --help prints its usage:\n" + r.out());
            assertFalse(r.err().contains("Missing required"), r.err());
        }
        CliTest.Run top = CliTest.run("--help");
        assertEquals(0, top.code());
        assertTrue(top.out().contains("generate"), top.out());
    }

    @Test
    void anAtSignArgumentIsTextNotAFileToRead() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "the contents of a private file");
        String arg = "@" + secret;
        JsonNode viaAt = Json.parse(CliTest.run("tokenize", "--model", TINY, "--raw", "--json", "--", arg).out()).get(0);
        long[] literal = studio.pixart.engine.text.T5Tokenizer.load(Path.of(TINY, "tokenizer")).encode(arg, 300).inputIds();
        JsonNode contents = Json.parse(CliTest.run("tokenize", "--model", TINY, "--raw", "--json", "--",
                "the contents of a private file").out()).get(0);
        for (int i = 0; i < literal.length; i++) {
            assertEquals(literal[i], viaAt.get("input_ids").get(i).asLong(), "token " + i + " of the literal text");
        }
        assertNotEquals(contents.get("input_ids"), viaAt.get("input_ids"), "the file was not read");
    }
}
