package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.io.ImageFiles;
import studio.pixart.app.settings.AppSettings;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.pipeline.GenerationMetadata;

class MetadataTest {
    @TempDir
    Path tmp;

    static GenerationSettings sample() {
        return new GenerationSettings("A corgi, wearing \"sunglasses\"\non a beach — warm light", "blurry, lowres", 25, 4.5, "euler",
                1234567890123L, false, "16:9", 1024, 1368, 768, 2, "cpu", "float32", "VAE", "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS",
                java.util.List.of());
    }

    static RgbImage image(int w, int h) {
        float[] px = new float[w * h * 3];
        px[(2 * w + 3) * 3] = 1f; // one red pixel at (3, 2)
        return new RgbImage(w, h, px);
    }

    @Test
    void parametersTextIsTheEnginesAndReadsBack() {
        String p = GenerationMetadata.parametersText(sample().toMetadata(null));
        assertTrue(p.startsWith("A corgi, wearing \"sunglasses\"\non a beach — warm light\nNegative prompt: blurry, lowres\n"
                + "Steps: 25, Sampler: Euler, CFG scale: 4.5, Seed: 1234567890123, Size: 1368x768, "
                + "Model: PixArt-alpha/PixArt-Sigma-XL-2-1024-MS"), p);
        GenerationSettings back = GenerationSettings.fromParameters(p);
        assertEquals(sample().prompt(), back.prompt());
        assertEquals("blurry, lowres", back.negativePrompt());
        assertEquals(25, back.steps());
        assertEquals("euler", back.sampler());
        assertEquals(1234567890123L, back.seed());
        assertEquals(1368, back.width());
        assertEquals(768, back.height());
        assertEquals(4.5, back.guidance());
        assertEquals("", back.aspect(), "no aspect label: the form picks the preset closest to the size");
    }

    @Test
    void readsForeignA1111Parameters() {
        GenerationSettings s = GenerationSettings.fromParameters("a castle\nSteps: 30, Sampler: DPM++ 2M Karras, "
                + "CFG scale: 7, Seed: 42, Size: 512x768, Model hash: abc, Model: \"sd, xl\", Version: v1.9");
        assertEquals("a castle", s.prompt());
        assertEquals("", s.negativePrompt());
        assertEquals("dpm-karras", s.sampler());
        assertEquals(7.0, s.guidance());
        assertEquals("sd, xl", s.model());
        assertEquals(512, s.width());
        // a prompt with no parameter line at all is just a prompt
        assertEquals("only a prompt", GenerationSettings.fromParameters("only a prompt").prompt());
    }

    @Test
    void pngCarriesEngineMetadataPlusTheFormAndRestoresExactly() throws IOException {
        Path png = tmp.resolve("a.png");
        Map<String, Object> engine = Map.of("generated_width", 1344, "generated_height", 768, "binning", true);
        ImageFiles.write(png, image(8, 4), sample().toMetadata(engine));
        assertEquals(sample(), ImageFiles.readSettings(png));
        Map<String, String> texts = ImageExport.readPngText(png);
        assertEquals(GenerationMetadata.parametersText(sample().toMetadata(engine)), texts.get("parameters"));
        Map<String, Object> meta = ImageFiles.readMetadata(png);
        assertEquals(1344, ((Number) meta.get("generated_width")).intValue());
        assertEquals("16:9", meta.get("aspect"));
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(0xff0000, back.getRGB(3, 2) & 0xffffff);
    }

    @Test
    void commandLinePngRestoresFromTheEnginesKeysAlone() throws IOException {
        // what `pixart generate` writes: GenerationMetadata.describe's keys, no studio form keys
        Map<String, Object> cli = new java.util.LinkedHashMap<>();
        cli.put("prompt", "a castle");
        cli.put("negative_prompt", "");
        cli.put("seed", 9);
        cli.put("steps", 14);
        cli.put("guidance", 3.0);
        cli.put("sampler", "sa");
        cli.put("width", 1024);
        cli.put("height", 576);
        cli.put("max_sequence_length", 300);
        cli.put("model", "/models/sigma");
        cli.put("engine", "pixart-studio dev");
        Path png = tmp.resolve("cli.png");
        ImageExport.write(image(4, 4), png, GenerationMetadata.parametersText(cli), studio.pixart.engine.io.Json.write(cli),
                ImageExport.Options.defaults());
        GenerationSettings s = ImageFiles.readSettings(png);
        assertEquals("a castle", s.prompt());
        assertEquals(9, s.seed());
        assertEquals("sa", s.sampler());
        assertEquals(1024, s.width());
        assertEquals(576, s.height());
        assertEquals(768, s.sizeClass());
        assertEquals("", s.aspect());
    }

    @Test
    void jpegRestoresFromItsExifComment() throws IOException {
        Path jpg = tmp.resolve("a.jpg");
        ImageFiles.write(jpg, image(16, 16), sample().toMetadata(null));
        GenerationSettings fromJpeg = ImageFiles.readSettings(jpg);
        assertEquals(sample().prompt(), fromJpeg.prompt());
        assertEquals(sample().seed(), fromJpeg.seed());
        assertEquals(sample().steps(), fromJpeg.steps());
        assertEquals(sample().width(), fromJpeg.width());
    }

    @Test
    void fileWithoutSettingsGivesAClearError() throws IOException {
        Path plain = tmp.resolve("plain.png");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", plain.toFile());
        IOException e = assertThrows(IOException.class, () -> ImageFiles.readSettings(plain));
        assertTrue(e.getMessage().contains("no generation settings"), e.getMessage());
        Path plainJpeg = tmp.resolve("plain.jpg");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "jpeg", plainJpeg.toFile());
        e = assertThrows(IOException.class, () -> ImageFiles.readSettings(plainJpeg));
        assertTrue(e.getMessage().contains("no generation settings (no EXIF UserComment)"), e.getMessage());
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "hello");
        e = assertThrows(IOException.class, () -> ImageFiles.readSettings(text));
        assertTrue(e.getMessage().contains("is not an image"), e.getMessage());
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
