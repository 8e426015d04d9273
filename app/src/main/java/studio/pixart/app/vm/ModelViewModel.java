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
            + "(Model \u2192 Open folder\u2026), or download PixArt-\u03a3 (Model \u2192 Download model\u2026).";

    public final ObjectProperty<ModelInfo> info = new SimpleObjectProperty<>();
    public final StringProperty spec = new SimpleStringProperty("");
    public final BooleanProperty loading = new SimpleBooleanProperty(false);
    public final StringProperty message = new SimpleStringProperty("No model loaded. " + NO_MODEL_ADVICE);
    public final ObservableList<String> cachedModels = FXCollections.observableArrayList();
    /** True when the message says why a model cannot be used (or none is loaded). */
    public final BooleanProperty problem = new SimpleBooleanProperty(true);

    private final StudioServices services;
    private final SettingsStore settings;
    private final StatusViewModel status;

    /** How the open model will run here: device, precision and memory (the engine's planner). */
    public final ModelPlanModel plan;

    public ModelViewModel(StudioServices services, SettingsStore settings, StatusViewModel status) {
        this.services = services;
        this.settings = settings;
        this.status = status;
        this.plan = new ModelPlanModel(ModelPlanModel.enginePlanner(), ModelPlanModel.plannerThread(), services.ui());
        info.addListener((o, was, now) -> plan.update(now));
    }

    /** On the I/O thread: the PixArt models in the Hugging Face cache. */
    public static List<String> findCachedModels() {
        try {
            return new ModelLocator().cachedModelIds();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /**
     * Opens a model off the UI thread. A failed open (no such folder, not a pipeline, an
     * incomplete one) keeps the model that was loaded, and says why in the message and the banner;
     * a successful one clears the model errors shown before.
     */
    public void loadModel(String requested) {
        if (requested == null || requested.isBlank()) {
            return;
        }
        String s = requested.strip();
        ModelInfo previous = info.get();
        spec.set(s);
        loading.set(true);
        message.set("Opening " + s + " \u2026");
        services.io().execute(() -> {
            try {
                ModelInfo opened = services.context().modelOpener().apply(s);
                services.ui().execute(() -> {
                    if (opened.usable()) {
                        info.set(opened);
                        problem.set(false);
                        message.set(opened.root().toString());
                        settings.update(a -> a.withLastModel(s));
                        status.clearError(MODEL_ERRORS);
                        updateChoices();
                    } else if (previous != null && previous.usable()) {
                        refuse(s, previous, "Model incomplete", String.join("; ", opened.problems()),
                                "Complete the pipeline folder or pick another model.");
                    } else {
                        info.set(opened);
                        problem.set(true);
                        message.set("This model cannot be used yet:\n\u2022 " + String.join("\n\u2022 ", opened.problems()));
                    }
                    // last: whoever waits for the end of loading sees the model already in place
                    loading.set(false);
                });
            } catch (RuntimeException e) {
                String why = String.valueOf(e.getMessage());
                services.ui().execute(() -> refuse(s, previous, "Model not opened",
                        why.contains(s) ? why : s + ": " + why, NO_MODEL_ADVICE));
            }
        });
    }

    /** Titles of the errors a successful open makes obsolete. */
    static final java.util.Set<String> MODEL_ERRORS = java.util.Set.of(
            "No model loaded", "Model not opened", "Model incomplete", "No usable model");

    private void refuse(String s, ModelInfo previous, String title, String why, String advice) {
        status.error.set(new ErrorInfo(title, why, advice));
        problem.set(true);
        if (previous != null) {
            spec.set(previous.spec());
            message.set("Not opened: " + why + "\nStill using " + previous.label() + " (" + previous.root() + ").");
        } else {
            message.set("Cannot open " + why + "\n" + NO_MODEL_ADVICE);
        }
        loading.set(false);
    }

    /** The model field's list: recent models first, then the ones in the Hugging Face cache. */
    public final ObservableList<String> choices = FXCollections.observableArrayList();

    /** UI thread: the recent models changed (settings loaded, a model opened) or the cache was listed. */
    public void updateChoices() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(settings.get().recentModels());
        all.addAll(cachedModels);
        if (!choices.equals(List.copyOf(all))) {
            choices.setAll(all);
        }
    }

    public String label() {
        ModelInfo m = info.get();
        return m == null ? "" : m.label();
    }
}
