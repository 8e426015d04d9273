package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.io.ImageExport;
import studio.pixart.app.io.PngText;
import studio.pixart.app.settings.AppSettings;
import studio.pixart.app.settings.GenerationSettings;

class MetadataTest {
    @TempDir
    Path tmp;

    static GenerationSettings sample() {
        return new GenerationSettings("A corgi, wearing \"sunglasses\"\non a beach — warm light", "blurry, lowres", 25, 4.5, "euler",
                1234567890123L, false, "16:9", 1024, 1368, 768, 2, "cpu", "float32", "VAE", "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS");
    }

    @Test
    void parametersTextIsA1111Style() {
        String p = sample().toParameters();
        assertEquals("A corgi, wearing \"sunglasses\"\non a beach — warm light\nNegative prompt: blurry, lowres\n"
                + "Steps: 25, Sampler: Euler, CFG scale: 4.5, Seed: 1234567890123, Size: 1368x768, "
                + "Model: PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", p);
        GenerationSettings back = GenerationSettings.fromParameters(p);
        assertEquals(sample().prompt(), back.prompt());
        assertEquals("blurry, lowres", back.negativePrompt());
        assertEquals(25, back.steps());
        assertEquals("euler", back.sampler());
        assertEquals(1234567890123L, back.seed());
        assertEquals(1368, back.width());
        assertEquals(768, back.height());
        assertEquals(4.5, back.guidance());
    }

    @Test
    void readsForeignA1111Parameters() {
        GenerationSettings s = GenerationSettings.fromParameters("a castle\nSteps: 30, Sampler: DPM++ 2M Karras, "
                + "CFG scale: 7, Seed: 42, Size: 512x768, Model hash: abc, Model: \"sd, xl\", Version: v1.9");
        assertEquals("a castle", s.prompt());
        assertEquals("", s.negativePrompt());
        assertEquals("dpm", s.sampler());
        assertEquals(7.0, s.guidance());
        assertEquals("sd, xl", s.model());
        assertEquals(512, s.width());
        // a prompt with no parameter line at all is just a prompt
        assertEquals("only a prompt", GenerationSettings.fromParameters("only a prompt").prompt());
    }

    @Test
    void pngChunksRoundTripWithUnicodeAndStayAValidPng() throws IOException {
        BufferedImage img = new BufferedImage(8, 4, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 2, 0xff8040);
        byte[] png = ImageExport.png(img, sample());
        Map<String, String> texts = PngText.read(new ByteArrayInputStream(png));
        assertEquals(sample().toParameters(), texts.get("parameters")); // "—" is not Latin-1: iTXt
        assertEquals(sample(), GenerationSettings.fromJson(texts.get("pixart-studio")));
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(0xff8040, back.getRGB(3, 2) & 0xffffff);
    }

    @Test
    void exportedFilesRestoreSettings() throws IOException {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        Path png = tmp.resolve("a.png");
        ImageExport.write(png, img, sample());
        assertEquals(sample(), ImageExport.readSettings(png));
        Path jpg = tmp.resolve("a.jpg");
        ImageExport.write(jpg, img, sample());
        GenerationSettings fromJpeg = ImageExport.readSettings(jpg);
        assertEquals(sample().prompt(), fromJpeg.prompt());
        assertEquals(sample().seed(), fromJpeg.seed());
    }

    @Test
    void fileWithoutSettingsGivesAClearError() throws IOException {
        Path plain = tmp.resolve("plain.png");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", plain.toFile());
        IOException e = assertThrows(IOException.class, () -> ImageExport.readSettings(plain));
        assertTrue(e.getMessage().contains("no generation settings"), e.getMessage());
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "hello");
        assertTrue(assertThrows(IOException.class, () -> ImageExport.readSettings(text)).getMessage().contains("not a PNG"));
    }

    @Test
    void appSettingsAreSavedAtomicallyAndSurviveCorruption() throws IOException {
        Path f = tmp.resolve("settings.json");
        AppSettings s = AppSettings.empty().withLastModel("/models/x").withLastForm(sample());
        s.save(f);
        assertEquals(s, AppSettings.load(f));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temp files left behind");
        }
        Files.writeString(f, "{ broken");
        assertEquals(AppSettings.empty(), AppSettings.load(f));
        assertTrue(Files.exists(tmp.resolve("settings.json.broken")));
    }
}
