package studio.pixart.app.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.io.AtomicFiles;

/**
 * Writes images with their settings embedded and reads settings back from dropped files.
 * PNG: tEXt/iTXt {@code parameters} (A1111 style, read by most tools) and {@code pixart-studio}
 * (this studio's JSON with every setting). JPEG: the parameters text as a COM segment.
 */
public final class ImageExport {
    public static final String PARAMETERS = "parameters";
    public static final String STUDIO_JSON = "pixart-studio";

    private ImageExport() {}

    public static byte[] png(BufferedImage image, GenerationSettings settings) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", buf)) {
            throw new IOException("no PNG writer available");
        }
        Map<String, String> texts = new LinkedHashMap<>();
        if (settings != null) {
            texts.put(PARAMETERS, settings.toParameters());
            texts.put(STUDIO_JSON, settings.toJson());
            texts.put("Software", "PixArt Studio");
        }
        return PngText.insert(buf.toByteArray(), texts);
    }

    /** Writes PNG or JPEG by the file's extension (.jpg/.jpeg → JPEG, else PNG), atomically. */
    public static void write(Path file, BufferedImage image, GenerationSettings settings) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            byte[] jpeg = jpeg(image, settings == null ? null : settings.toParameters());
            AtomicFiles.write(file, out -> out.write(jpeg));
        } else {
            byte[] png = png(image, settings);
            AtomicFiles.write(file, out -> out.write(png));
        }
    }

    static byte[] jpeg(BufferedImage image, String comment) throws IOException {
        BufferedImage rgb = image;
        if (image.getType() != BufferedImage.TYPE_INT_RGB) {
            rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
            rgb.getGraphics().drawImage(image, 0, 0, null);
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.95f);
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(rgb), param);
        if (comment != null) {
            String fmt = "javax_imageio_jpeg_image_1.0";
            IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
            IIOMetadataNode seq = (IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
            IIOMetadataNode com = new IIOMetadataNode("com");
            com.setUserObject(comment.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            seq.appendChild(com);
            meta.setFromTree(fmt, root);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(buf)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(rgb, null, meta), param);
        } finally {
            writer.dispose();
        }
        return buf.toByteArray();
    }

    /**
     * The settings stored in a PNG (our JSON first, else A1111 parameters) or in a JPEG comment.
     *
     * @throws IOException with a message for the user when the file carries no settings
     */
    public static GenerationSettings readSettings(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xd8) {
            String comment = jpegComment(file);
            if (comment == null) {
                throw new IOException(file.getFileName() + " has no generation settings (no JPEG comment)");
            }
            return GenerationSettings.fromParameters(comment);
        }
        Map<String, String> texts;
        try (InputStream in = Files.newInputStream(file)) {
            texts = PngText.read(in);
        }
        if (texts.containsKey(STUDIO_JSON)) {
            return GenerationSettings.fromJson(texts.get(STUDIO_JSON));
        }
        if (texts.containsKey(PARAMETERS)) {
            return GenerationSettings.fromParameters(texts.get(PARAMETERS));
        }
        throw new IOException(file.getFileName() + " has no generation settings (no 'parameters' or '"
                + STUDIO_JSON + "' text chunk)");
    }

    private static String jpegComment(Path file) throws IOException {
        try (var in = ImageIO.createImageInputStream(file.toFile())) {
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            var reader = readers.next();
            reader.setInput(in);
            IIOMetadata meta = reader.getImageMetadata(0);
            IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree("javax_imageio_jpeg_image_1.0");
            var coms = root.getElementsByTagName("com");
            if (coms.getLength() == 0) {
                return null;
            }
            Object bytes = ((IIOMetadataNode) coms.item(0)).getUserObject();
            return bytes instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8)
                    : ((IIOMetadataNode) coms.item(0)).getAttribute("comment");
        }
    }
}
