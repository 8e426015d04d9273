package studio.pixart.app.settings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.nio.file.Path;
import java.util.List;

/**
 * What the Preferences window sets, saved in settings.json with the rest.
 *
 * @param outputFolder     where exports are proposed and saved ("" = ~/Pictures/PixArt Studio)
 * @param fileNamePattern  export file name without extension: {seed} {date} {time} {prompt} {model} {steps} {index}
 * @param keepCancelled    keep cancelled runs in the history (with their last preview)
 * @param device           auto | cpu | cuda
 * @param precision        auto | float32 | float16
 * @param memoryMode       auto | low | balanced | high (the engine's memory plan; auto = from the machine's RAM)
 * @param theme            dark | light
 * @param historyFolder    where the history database and images live ("" = the data folder)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Preferences(String outputFolder, String fileNamePattern, boolean keepCancelled, String device,
                          String precision, String memoryMode, String theme, String historyFolder) {
    public static final String DEFAULT_PATTERN = "pixart-{seed}";
    public static final List<String> THEMES = List.of("dark", "light");
    public static final List<String> MEMORY_MODES = List.of("auto", "low", "balanced", "high");
    public static final List<String> PRECISIONS = List.of("auto", "float32", "float16");

    public static Preferences defaults() {
        return new Preferences("", DEFAULT_PATTERN, false, "auto", "auto", "auto", "dark", "");
    }

    /** Fills what an older file left out. */
    public Preferences normalized() {
        Preferences d = defaults();
        return new Preferences(outputFolder == null ? "" : outputFolder,
                fileNamePattern == null || fileNamePattern.isBlank() ? d.fileNamePattern : fileNamePattern, keepCancelled,
                device == null || device.isBlank() ? d.device : device, precision == null || precision.isBlank() ? d.precision : precision,
                MEMORY_MODES.contains(memoryMode) ? memoryMode : d.memoryMode, THEMES.contains(theme) ? theme : d.theme,
                historyFolder == null ? "" : historyFolder);
    }

    /** The output folder to use: the chosen one, else ~/Pictures/PixArt Studio. */
    public Path outputPath() {
        return outputFolder.isBlank() ? Path.of(System.getProperty("user.home"), "Pictures", "PixArt Studio") : Path.of(outputFolder);
    }

    public Preferences withOutputFolder(String v) {
        return new Preferences(v, fileNamePattern, keepCancelled, device, precision, memoryMode, theme, historyFolder);
    }

    public Preferences withFileNamePattern(String v) {
        return new Preferences(outputFolder, v, keepCancelled, device, precision, memoryMode, theme, historyFolder);
    }

    public Preferences withKeepCancelled(boolean v) {
        return new Preferences(outputFolder, fileNamePattern, v, device, precision, memoryMode, theme, historyFolder);
    }

    public Preferences withDevice(String v) {
        return new Preferences(outputFolder, fileNamePattern, keepCancelled, v, precision, memoryMode, theme, historyFolder);
    }

    public Preferences withPrecision(String v) {
        return new Preferences(outputFolder, fileNamePattern, keepCancelled, device, v, memoryMode, theme, historyFolder);
    }

    public Preferences withMemoryMode(String v) {
        return new Preferences(outputFolder, fileNamePattern, keepCancelled, device, precision, v, theme, historyFolder);
    }

    public Preferences withTheme(String v) {
        return new Preferences(outputFolder, fileNamePattern, keepCancelled, device, precision, memoryMode, v, historyFolder);
    }

    public Preferences withHistoryFolder(String v) {
        return new Preferences(outputFolder, fileNamePattern, keepCancelled, device, precision, memoryMode, theme, v);
    }
}
