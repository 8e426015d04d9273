package studio.pixart.app.vm;

import java.util.List;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.service.SettingsStore;
import studio.pixart.app.service.StudioServices;
import studio.pixart.engine.model.ModelLocator;

/** The model panel: which pipeline is open, what it is, and why it cannot be used (if so). */
public final class ModelViewModel {
    public static final String NO_MODEL_ADVICE = "Choose a pipeline folder or a Hugging Face model id in the model bar "
            + "(Model \u2192 Open folder\u2026). The README section \"Getting a model\" shows how to download PixArt-\u03a3.";

    public final ObjectProperty<ModelInfo> info = new SimpleObjectProperty<>();
    public final StringProperty spec = new SimpleStringProperty("");
    public final BooleanProperty loading = new SimpleBooleanProperty(false);
    public final StringProperty message = new SimpleStringProperty("No model loaded. " + NO_MODEL_ADVICE);
    public final ObservableList<String> cachedModels = FXCollections.observableArrayList();

    private final StudioServices services;
    private final SettingsStore settings;
    private final StatusViewModel status;

    public ModelViewModel(StudioServices services, SettingsStore settings, StatusViewModel status) {
        this.services = services;
        this.settings = settings;
        this.status = status;
    }

    /** On the I/O thread: the PixArt models in the Hugging Face cache. */
    public static List<String> findCachedModels() {
        try {
            return new ModelLocator().cachedModelIds();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    public void loadModel(String requested) {
        if (requested == null || requested.isBlank()) {
            return;
        }
        String s = requested.strip();
        spec.set(s);
        loading.set(true);
        message.set("Opening " + s + " \u2026");
        services.io().execute(() -> {
            try {
                ModelInfo opened = services.context().modelOpener().apply(s);
                services.ui().execute(() -> {
                    info.set(opened);
                    if (opened.usable()) {
                        message.set(opened.root().toString());
                        settings.update(a -> a.withLastModel(s));
                    } else {
                        message.set("This model cannot be used yet:\n\u2022 " + String.join("\n\u2022 ", opened.problems()));
                    }
                    loading.set(false);
                });
            } catch (RuntimeException e) {
                services.ui().execute(() -> {
                    info.set(null);
                    message.set("Cannot open " + s + ": " + e.getMessage() + "\n" + NO_MODEL_ADVICE);
                    status.error.set(new ErrorInfo("Model not opened", String.valueOf(e.getMessage()), NO_MODEL_ADVICE));
                    loading.set(false);
                });
            }
        });
    }

    public String label() {
        ModelInfo m = info.get();
        return m == null ? "" : m.label();
    }
}
