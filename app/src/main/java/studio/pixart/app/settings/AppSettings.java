package studio.pixart.app.settings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.Json;

/**
 * The studio's remembered preferences ({@code settings.json} in the data folder), written
 * atomically (temp file + move) so a crash never leaves a half-written file.
 *
 * @param lastModel  the model spec last opened successfully ("" = none)
 * @param lastForm   the form as it was when the studio closed (prompt included: nothing typed is lost)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppSettings(String lastModel, GenerationSettings lastForm) {

    public static AppSettings empty() {
        return new AppSettings("", GenerationSettings.defaults());
    }

    public AppSettings withLastModel(String m) {
        return new AppSettings(m, lastForm);
    }

    public AppSettings withLastForm(GenerationSettings f) {
        return new AppSettings(lastModel, f);
    }

    /** A missing or unreadable file gives the defaults (an unreadable one is kept aside as .broken). */
    public static AppSettings load(Path file) {
        if (!Files.isRegularFile(file)) {
            return empty();
        }
        try {
            AppSettings s = Json.MAPPER.readValue(file.toFile(), AppSettings.class);
            return new AppSettings(s.lastModel == null ? "" : s.lastModel,
                    s.lastForm == null ? GenerationSettings.defaults() : s.lastForm.normalized());
        } catch (IOException e) {
            try {
                Files.move(file, file.resolveSibling(file.getFileName() + ".broken"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ignored) {
                // keep going with defaults; the next save overwrites it
            }
            return empty();
        }
    }

    public void save(Path file) throws IOException {
        AtomicFiles.writeString(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this));
    }
}
