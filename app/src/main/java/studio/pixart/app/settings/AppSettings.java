package studio.pixart.app.settings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.Json;

/**
 * The studio's remembered settings ({@code settings.json} in the data folder), written
 * atomically (temp file + move) so a crash never leaves a half-written file.
 *
 * @param lastModel        the model spec last opened successfully ("" = none)
 * @param lastForm         the form as it was when the studio closed (prompt included: nothing typed is lost)
 * @param recentModels     model specs opened successfully, newest first (at most {@link #RECENT_LIMIT})
 * @param preferences      what the Preferences window sets
 * @param lastPosterFolder the folder the poster dialog saved to last ("" = none yet)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppSettings(String lastModel, GenerationSettings lastForm, List<String> recentModels,
                          Preferences preferences, String lastPosterFolder) {
    public static final int RECENT_LIMIT = 8;

    public AppSettings {
        lastModel = lastModel == null ? "" : lastModel;
        lastForm = lastForm == null ? GenerationSettings.defaults() : lastForm.normalized();
        recentModels = recentModels == null ? List.of() : List.copyOf(recentModels);
        preferences = preferences == null ? Preferences.defaults() : preferences.normalized();
        lastPosterFolder = lastPosterFolder == null ? "" : lastPosterFolder;
    }

    public static AppSettings empty() {
        return new AppSettings("", GenerationSettings.defaults(), List.of(), Preferences.defaults(), "");
    }

    /** The model opened last, at the head of the recent models. */
    public AppSettings withLastModel(String m) {
        List<String> recent = new ArrayList<>(recentModels);
        recent.remove(m);
        recent.add(0, m);
        return new AppSettings(m, lastForm, recent.subList(0, Math.min(RECENT_LIMIT, recent.size())), preferences, lastPosterFolder);
    }

    public AppSettings withLastForm(GenerationSettings f) {
        return new AppSettings(lastModel, f, recentModels, preferences, lastPosterFolder);
    }

    public AppSettings withPreferences(Preferences p) {
        return new AppSettings(lastModel, lastForm, recentModels, p, lastPosterFolder);
    }

    public AppSettings withLastPosterFolder(String f) {
        return new AppSettings(lastModel, lastForm, recentModels, preferences, f);
    }

    /** A missing or unreadable file gives the defaults (an unreadable one is kept aside as .broken). */
    public static AppSettings load(Path file) {
        if (!Files.isRegularFile(file)) {
            return empty();
        }
        try {
            return Json.MAPPER.readValue(file.toFile(), AppSettings.class);
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
