package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.io.Json;

/** {@code generate --init-image FILE --strength S [--mask FILE]}: checked before any work, then run. */
class GenerateImageToImageCliTest {
    @TempDir
    Path dir;

    Path png(String name, int w, int h, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, x < w / 2 ? rgb : (x * 7 << 16) | (y * 9 << 8) | 40);
            }
        }
        Path f = dir.resolve(name);
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    CliTest.Run generate(String... extra) {
        String[] base = {"generate", "--model", CliTest.TINY, "--prompt", "a red fox", "--steps", "2", "--seed", "5",
                "--out", dir.resolve("out.png").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CliTest.run(all);
    }

    void assertRefused(CliTest.Run r, String... fragments) {
        assertEquals(2, r.code(), "a bad start image or option is a usage error: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
        }
        assertFalse(r.err().contains("loading"), "refused after work started: " + r.err());
        assertFalse(Files.exists(dir.resolve("out.png")));
    }

    @Test
    void badInputsAreRefusedBeforeAnyWork() throws IOException {
        Path init = png("init.png", 32, 24, 0xffffff);
        Path text = Files.writeString(dir.resolve("notes.png"), "not a picture");
        assertRefused(generate("--strength", "0.5"), "--strength needs --init-image");
        assertRefused(generate("--mask", init.toString()), "--mask needs --init-image");
        assertRefused(generate("--init-image", dir.resolve("missing.png").toString()), "--init-image", "missing.png", "no such file");
        assertRefused(generate("--init-image", text.toString()), "notes.png", "not an image");
        assertRefused(generate("--init-image", init.toString(), "--strength", "1.5"), "--strength must be between 0 and 1");
        assertRefused(generate("--init-image", init.toString(), "--mask", png("small.png", 16, 24, 0).toString()),
                "--mask", "16x24", "32x24");
    }

    @Test
    void inpaintsAtTheStartImageSizeAndRecordsTheSettings() throws IOException {
        Path init = png("init.png", 32, 24, 0x3060a0);
        Path mask = png("mask.png", 32, 24, 0xffffff); // left half white = repaint, right half patterned (< 0.5 mostly)
        CliTest.Run r = generate("--init-image", init.toString(), "--mask", mask.toString(), "--per-image-seeds", "--no-binning");
        assertEquals(0, r.code(), r.err());
        Path out = dir.resolve("out.png");
        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(32, img.getWidth());
        assertEquals(24, img.getHeight());
        Map<String, String> text = ImageExport.readPngText(out);
        assertTrue(text.get(ImageExport.PARAMETERS_KEY).contains("Denoising strength: 1.0"), text.toString());
        JsonNode json = Json.parse(text.get(ImageExport.JSON_KEY));
        assertTrue(json.get("inpainting").asBoolean(), json::toString);
        assertEquals("per-image", json.get("seed_mode").asText());
        assertEquals(5, json.get("seed").asLong());
    }
}
