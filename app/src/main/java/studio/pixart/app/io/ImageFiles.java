package studio.pixart.app.io;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.pipeline.GenerationMetadata;

/**
 * The studio's images on disk, through the engine's {@link ImageExport} (the same files the
 * command line writes): PNG with the {@code parameters} text and the {@code pixart-studio} JSON,
 * JPEG with the parameters in the EXIF UserComment, TIFF with them in ImageDescription.
 */
public final class ImageFiles {
    private ImageFiles() {}

    /** Writes by extension (.png, .jpg/.jpeg, .tif/.tiff), atomically; {@code metadata} may be null. */
    public static void write(Path file, RgbImage image, Map<String, Object> metadata) throws IOException {
        String parameters = metadata == null ? null : GenerationMetadata.parametersText(metadata);
        String json = metadata == null ? null : Json.write(metadata);
        ImageExport.write(image, file, parameters, json, ImageExport.Options.defaults());
    }

    /** The {@code pixart-studio} JSON of a PNG as a map, or null when it has none (or is not a PNG). */
    public static Map<String, Object> readMetadata(Path png) {
        try {
            String json = ImageExport.readPngText(png).get(ImageExport.JSON_KEY);
            return json == null ? null : Json.MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The settings an image carries: a PNG's JSON (ours or the command line's) first, else its
     * {@code parameters} text (any A1111-style tool); a JPEG's EXIF UserComment.
     *
     * @throws IOException with a message for the user when the file carries no settings
     */
    public static GenerationSettings readSettings(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(2);
        }
        if (head.length == 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xd8) {
            String comment = ImageExport.readJpegComment(file);
            if (comment == null || comment.isBlank()) {
                throw new IOException(file.getFileName() + " has no generation settings (no EXIF UserComment)");
            }
            return GenerationSettings.fromParameters(comment);
        }
        Map<String, String> texts = ImageExport.readPngText(file);
        String json = texts.get(ImageExport.JSON_KEY);
        if (json != null) {
            return GenerationSettings.fromMetadata(Json.parse(json));
        }
        String parameters = texts.get(ImageExport.PARAMETERS_KEY);
        if (parameters != null) {
            return GenerationSettings.fromParameters(parameters);
        }
        throw new IOException(file.getFileName() + " has no generation settings (no '" + ImageExport.PARAMETERS_KEY
                + "' or '" + ImageExport.JSON_KEY + "' text)");
    }
}
