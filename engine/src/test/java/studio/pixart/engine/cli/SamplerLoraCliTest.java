package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.scheduler.Schedulers;

/** {@code generate --sampler} for every sampler and {@code --lora} through the command line on the tiny pipeline. */
class SamplerLoraCliTest {
    @TempDir
    Path tmp;

    private static String[] generate(Path out, String... extra) {
        return generate(out, 2, extra);
    }

    private static String[] generate(Path out, int steps, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", CliTest.TINY, "--prompt", "a red fox in the snow",
                "--seed", "3", "--steps", Integer.toString(steps), "--width", "16", "--height", "16", "--no-binning",
                "--max-sequence-length", "16", "--device", "cpu", "--out", out.toString()));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void everySamplerGeneratesAndIsRecordedByItsKnownName() throws IOException {
        for (String sampler : Schedulers.NAMES) {
            Path out = tmp.resolve(sampler + ".png");
            CliTest.Run r = CliTest.run(generate(out, "--sampler", sampler));
            assertEquals(0, r.code(), sampler + ": " + r.err());
            Map<String, String> text = ImageExport.readPngText(out);
            JsonNode meta = Json.parse(text.get(ImageExport.JSON_KEY));
            assertEquals(sampler, meta.get("sampler").asText());
            assertTrue(text.get(ImageExport.PARAMETERS_KEY).contains("Sampler: " + Schedulers.displayName(sampler) + ","),
                    text.get(ImageExport.PARAMETERS_KEY));
        }
    }

    @Test
    void unknownSamplerAndRepeatedTimestepsAreRefusedBeforeAnyWork() {
        Path out = tmp.resolve("x.png");
        CliTest.Run bad = CliTest.run(generate(out, "--sampler", "k_euler"));
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("euler-a") && bad.err().contains("unipc-karras"), bad.err());
        CliTest.Run steps = CliTest.run(generate(out, 1000, "--sampler", "unipc"));
        assertNotEquals(0, steps.code());
        assertTrue(steps.err().contains("t=500") && steps.err().contains("999"), steps.err());
        assertFalse(steps.err().contains("loading transformer"), "refused before loading: " + steps.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void loraIsMergedAndRecorded() throws IOException {
        Path plain = tmp.resolve("plain.png");
        Path with = tmp.resolve("lora.png");
        Path kohya = Golden.model("lora/lora-kohya.safetensors");
        assertEquals(0, CliTest.run(generate(plain)).code());
        CliTest.Run r = CliTest.run(generate(with, "--lora", kohya + ":0.7"));
        assertEquals(0, r.code(), r.err());
        assertFalse(Arrays.equals(Files.readAllBytes(plain), Files.readAllBytes(with)), "the LoRA changes the image");
        Map<String, String> text = ImageExport.readPngText(with);
        JsonNode lora = Json.parse(text.get(ImageExport.JSON_KEY)).get("loras").get(0);
        assertEquals("lora-kohya.safetensors", lora.get("name").asText());
        assertEquals(0.7, lora.get("strength").asDouble(), 0.0);
        assertEquals(64, lora.get("sha256").asText().length());
        assertTrue(text.get(ImageExport.PARAMETERS_KEY).contains("Lora hashes: \"lora-kohya.safetensors: "
                + lora.get("sha256").asText().substring(0, 12) + "\""), text.get(ImageExport.PARAMETERS_KEY));
    }

    @Test
    void badLoraIsRefusedBeforeLoading() throws IOException {
        Path out = tmp.resolve("x.png");
        CliTest.Run missing = CliTest.run(generate(out, "--lora", tmp.resolve("none.safetensors") + ":0.5"));
        assertEquals(2, missing.code(), "a bad --lora is a usage error: " + missing.err());
        assertTrue(missing.err().contains("none.safetensors") && missing.err().contains("does not exist"), missing.err());
        Path other = tmp.resolve("other.safetensors");
        new studio.pixart.engine.io.SafetensorsWriter()
                .putFloats("unet.down_blocks.0.attentions.0.proj_in.lora_A.weight", new long[] {4, 8}, new float[32])
                .putFloats("unet.down_blocks.0.attentions.0.proj_in.lora_B.weight", new long[] {8, 4}, new float[32])
                .write(other);
        CliTest.Run r = CliTest.run(generate(out, "--lora", other.toString()));
        assertEquals(2, r.code(), "a LoRA for another model is a usage error: " + r.err());
        assertTrue(r.err().contains("another model") && r.err().contains("unet.down_blocks.0.attentions.0.proj_in"), r.err());
        assertFalse(r.err().contains("loading transformer"), "refused before loading: " + r.err());
        assertFalse(Files.exists(out));
    }
}
