package studio.pixart.app.vm;

import java.time.LocalDateTime;
import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.value.ObservableStringValue;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import studio.pixart.app.io.FileNames;
import studio.pixart.app.service.SettingsStore;
import studio.pixart.app.service.StudioServices;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.app.settings.Preferences;

/**
 * The Preferences window's state: edited in place, saved with the other settings by {@link #save},
 * put back by {@link #revert}. Device and precision are machine choices: the form takes them from
 * here, and images restored from the history do not change them.
 */
public final class PreferencesViewModel {
    public final StringProperty outputFolder = new SimpleStringProperty("");
    public final StringProperty fileNamePattern = new SimpleStringProperty(Preferences.DEFAULT_PATTERN);
    public final BooleanProperty keepCancelled = new SimpleBooleanProperty(false);
    public final StringProperty device = new SimpleStringProperty("auto");
    public final StringProperty precision = new SimpleStringProperty("auto");
    public final StringProperty memoryMode = new SimpleStringProperty("auto");
    public final StringProperty theme = new SimpleStringProperty("dark");
    public final StringProperty historyFolder = new SimpleStringProperty("");
    /** Devices this build can use; "cuda" only when libtorch sees a CUDA GPU. */
    public final ObservableList<String> devices = FXCollections.observableArrayList("auto", "cpu");
    public final List<String> precisions = Preferences.PRECISIONS;
    public final List<String> memoryModes = Preferences.MEMORY_MODES;
    public final List<String> themes = Preferences.THEMES;
    /** What the pattern makes of an example image ("pixart-1234.png"). */
    public final ObservableStringValue fileNameExample;

    private final StudioServices services;
    private final SettingsStore settings;

    public PreferencesViewModel(StudioServices services, SettingsStore settings) {
        this.services = services;
        this.settings = settings;
        fileNameExample = Bindings.createStringBinding(() -> FileNames.format(fileNamePattern.get(),
                new GenerationSettings("a lighthouse on a cliff at sunset", "", 20, 4.5, "dpm", 1234, false, "1:1", 1024,
                        1024, 1024, 1, "auto", "auto", "FAST", "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", List.of()),
                LocalDateTime.of(2026, 1, 31, 14, 25, 1)) + ".png", fileNamePattern);
    }

    /** On the I/O thread: which devices this build offers (loads the engine's native library once). */
    void probeDevices() {
        List<String> found = services.context().devices().get();
        services.ui().execute(() -> {
            devices.setAll(found);
            if (!found.contains(device.get())) {
                device.set("auto");
            }
        });
    }

    /** UI thread: shows the saved preferences. */
    void load(Preferences p) {
        outputFolder.set(p.outputFolder());
        fileNamePattern.set(p.fileNamePattern());
        keepCancelled.set(p.keepCancelled());
        device.set(devices.contains(p.device()) ? p.device() : "auto");
        precision.set(p.precision());
        memoryMode.set(p.memoryMode());
        theme.set(p.theme());
        historyFolder.set(p.historyFolder());
    }

    public Preferences current() {
        return new Preferences(outputFolder.get(), fileNamePattern.get(), keepCancelled.get(), device.get(),
                precision.get(), memoryMode.get(), theme.get(), historyFolder.get()).normalized();
    }

    /** Why the preferences cannot be saved as they are (null when they can). */
    public String problem() {
        if (fileNamePattern.get() == null || fileNamePattern.get().isBlank()) {
            return "The file name pattern is empty; use e.g. " + Preferences.DEFAULT_PATTERN + ".";
        }
        return null;
    }

    /** Saves them; a new history folder is used from the next start. */
    public void save() {
        Preferences p = current();
        settings.update(a -> a.withPreferences(p));
    }

    /** Back to the saved preferences (the dialog was cancelled). */
    public void revert() {
        load(settings.get().preferences());
    }
}
