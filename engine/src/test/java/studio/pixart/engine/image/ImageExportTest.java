package studio.pixart.engine.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageExportTest {
    @TempDir
    Path dir;

    static RgbImage gradient(int w, int h) {
        float[] s = new float[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                s[i] = x / (float) (w - 1);
                s[i + 1] = y / (float) (h - 1);
                s[i + 2] = 0.25f;
            }
        }
        return new RgbImage(w, h, s);
    }

    static final String PARAMS = "a red fox, café\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 4.5, Seed: 7, Size: 40x30";

    @Test
    void pngCarriesParametersJsonDpiAndSrgb() throws IOException {
        Path f = dir.resolve("out.png");
        ImageExport.write(gradient(40, 30), f, PARAMS, "{\"seed\":7,\"prompt\":\"狐\"}", new ImageExport.Options(300, false, 0.9f));
        Map<String, String> text = ImageExport.readPngText(f);
        assertEquals(PARAMS, text.get("parameters"));
        assertEquals("{\"seed\":7,\"prompt\":\"狐\"}", text.get("pixart-studio"));
        BufferedImage back = ImageIO.read(f.toFile());
        assertEquals(40, back.getWidth());
        assertEquals(30, back.getHeight());
        assertEquals(0xff, (back.getRGB(39, 0) >> 16) & 0xff);
        IIOMetadataNode root = pngTree(f);
        IIOMetadataNode phys = (IIOMetadataNode) root.getElementsByTagName("pHYs").item(0);
        assertEquals("11811", phys.getAttribute("pixelsPerUnitXAxis"));
        assertEquals(1, root.getElementsByTagName("sRGB").getLength());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void sixteenBitPngKeepsPrecision() throws IOException {
        Path f = dir.resolve("deep.png");
        ImageExport.write(gradient(300, 2), f, null, null, new ImageExport.Options(0, true, 0.9f));
        BufferedImage back = ImageIO.read(f.toFile());
        assertEquals(16, back.getColorModel().getComponentSize(0));
        int v = back.getRaster().getSample(150, 0, 0);
        assertEquals(Math.round(150 / 299f * 65535f), v);
    }

    @Test
    void jpegHasDensityAndExifUserComment() throws IOException {
        Path f = dir.resolve("out.jpg");
        ImageExport.write(gradient(64, 48), f, PARAMS, null, new ImageExport.Options(150, false, 0.9f));
        byte[] bytes = Files.readAllBytes(f);
        String latin = new String(bytes, StandardCharsets.ISO_8859_1);
        assertTrue(latin.contains("Exif\0\0"), "EXIF segment");
        assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("a red fox, café"), "UserComment text");
        assertEquals(64, ImageIO.read(f.toFile()).getWidth());
        try (ImageInputStream iis = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReaders(iis).next();
            r.setInput(iis);
            IIOMetadataNode tree = (IIOMetadataNode) r.getImageMetadata(0).getAsTree("javax_imageio_jpeg_image_1.0");
            IIOMetadataNode jfif = (IIOMetadataNode) tree.getElementsByTagName("app0JFIF").item(0);
            assertEquals("1", jfif.getAttribute("resUnits"));
            assertEquals("150", jfif.getAttribute("Xdensity"));
        }
    }

    @Test
    void jpegCommentReadsBackTheParameters() throws IOException {
        Path f = dir.resolve("back.jpg");
        ImageExport.write(gradient(32, 24), f, PARAMS, null, ImageExport.Options.defaults());
        assertEquals(PARAMS, ImageExport.readJpegComment(f));
        Path plain = dir.resolve("plain.jpg");
        ImageExport.write(gradient(32, 24), plain, null, null, ImageExport.Options.defaults());
        assertEquals(null, ImageExport.readJpegComment(plain), "no EXIF: no comment");
    }

    @Test
    void malformedJpegCommentIsAClearError() throws IOException {
        Path png = dir.resolve("not.png");
        ImageExport.write(gradient(8, 8), png, PARAMS, null, ImageExport.Options.defaults());
        IOException notJpeg = assertThrows(IOException.class, () -> ImageExport.readJpegComment(png));
        assertTrue(notJpeg.getMessage().contains("not a JPEG"), notJpeg.getMessage());

        Path f = dir.resolve("broken.jpg");
        ImageExport.write(gradient(8, 8), f, PARAMS, null, ImageExport.Options.defaults());
        byte[] b = Files.readAllBytes(f);
        int exif = new String(b, StandardCharsets.ISO_8859_1).indexOf("Exif\0\0");
        // the UserComment entry's value offset: TIFF header 8 + IFD0 (2 + 12 + 4) + count 2 + tag/type/count 8
        int valueOffset = exif + 6 + 8 + 18 + 2 + 8;
        b[valueOffset] = 0x7f;
        Files.write(f, b);
        IOException e = assertThrows(IOException.class, () -> ImageExport.readJpegComment(f));
        assertTrue(e.getMessage().contains("outside the EXIF segment"), e.getMessage());
    }

    @Test
    void tiffHasResolutionAndDescription() throws IOException {
        Path f = dir.resolve("out.tif");
        ImageExport.write(gradient(50, 70), f, PARAMS, null, new ImageExport.Options(300, false, 0.9f));
        try (ImageInputStream iis = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReaders(iis).next();
            r.setInput(iis);
            assertEquals(50, r.getWidth(0));
            IIOMetadata meta = r.getImageMetadata(0);
            TIFFDirectory d = TIFFDirectory.createFromMetadata(meta);
            assertEquals(300, d.getTIFFField(BaselineTIFFTagSet.TAG_X_RESOLUTION).getAsRational(0)[0]);
            assertEquals(BaselineTIFFTagSet.RESOLUTION_UNIT_INCH, d.getTIFFField(BaselineTIFFTagSet.TAG_RESOLUTION_UNIT).getAsInt(0));
            assertTrue(d.getTIFFField(BaselineTIFFTagSet.TAG_IMAGE_DESCRIPTION).getAsString(0).startsWith("a red fox"));
        }
    }

    @Test
    void unwritableDestinationIsAClearErrorAndLeavesNothing() throws IOException {
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Path existing = ro.resolve("keep.png");
        ImageExport.write(gradient(4, 4), existing, "old", null, ImageExport.Options.defaults());
        byte[] before = Files.readAllBytes(existing);
        assertTrue(ro.toFile().setWritable(false));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(ro),
                    "running as root, folder permissions are not enforced (destinationUnderAFileIsAClearError covers the error path)");
            IOException e = assertThrows(IOException.class,
                    () -> ImageExport.write(gradient(4, 4), existing, "new", null, ImageExport.Options.defaults()));
            assertTrue(e.getMessage().contains("not writable"), e.getMessage());
            assertEquals(new String(before, StandardCharsets.ISO_8859_1), new String(Files.readAllBytes(existing), StandardCharsets.ISO_8859_1));
        } finally {
            ro.toFile().setWritable(true);
        }
    }

    @Test
    void destinationUnderAFileIsAClearError() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class,
                () -> ImageExport.write(gradient(4, 4), file.resolve("out.png"), null, null, ImageExport.Options.defaults()));
        assertTrue(e.getMessage().contains("cannot create folder"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageExport.formatOf(dir.resolve("x.gif")));
        assertFalse(Files.exists(file.resolve("out.png")));
    }

    static IIOMetadataNode pngTree(Path f) throws IOException {
        try (ImageInputStream iis = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReaders(iis).next();
            r.setInput(iis);
            return (IIOMetadataNode) r.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
        }
    }
}
