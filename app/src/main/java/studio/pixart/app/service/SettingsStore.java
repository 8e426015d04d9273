package studio.pixart.app.service;

import java.io.IOException;
import java.util.function.UnaryOperator;
import studio.pixart.app.settings.AppSettings;
import studio.pixart.app.vm.StatusViewModel;

/**
 * The remembered settings ({@code settings.json}): the current value lives on the UI thread,
 * every change is saved on the I/O thread (atomically, see {@link AppSettings#save}).
 */
public final class SettingsStore {
    private final StudioServices services;
    private final StatusViewModel status;
    private AppSettings current = AppSettings.empty();

    public SettingsStore(StudioServices services, StatusViewModel status) {
        this.services = services;
        this.status = status;
    }

    /** On the I/O thread: reads the file (defaults when missing or unreadable). */
    public AppSettings load() {
        return AppSettings.load(services.settingsFile());
    }

    /** UI thread: takes the loaded value. */
    public void set(AppSettings s) {
        current = s;
    }

    public AppSettings get() {
        return current;
    }

    /** UI thread: changes the settings and saves them. */
    public void update(UnaryOperator<AppSettings> change) {
        current = change.apply(current);
        AppSettings s = current;
        services.io().execute(() -> {
            try {
                s.save(services.settingsFile());
            } catch (IOException e) {
                status.showError("Settings not saved", e.getMessage(),
                        "Check that " + services.context().dataDir() + " is writable.");
            }
        });
    }
}
