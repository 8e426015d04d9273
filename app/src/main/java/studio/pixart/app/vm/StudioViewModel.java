package studio.pixart.app.vm;

import java.util.List;
import java.util.concurrent.Executor;
import studio.pixart.app.StudioContext;
import studio.pixart.app.service.SettingsStore;
import studio.pixart.app.service.StudioServices;
import studio.pixart.app.settings.AppSettings;

/**
 * The studio's view-models, one per concern, wired together over shared services (I/O thread,
 * engine, history database), testable without a Stage. Results of slow work come back through
 * {@code ui} (Platform::runLater in the app, direct in tests). Errors land in
 * {@link StatusViewModel#error} and never clear the form.
 */
public final class StudioViewModel implements AutoCloseable {
    public final StatusViewModel status;
    public final PromptViewModel prompt;
    public final SizeViewModel size;
    public final ModelViewModel model;
    public final FormViewModel form;
    public final CanvasViewModel canvas;
    public final HistoryViewModel history;
    public final JobViewModel job;
    public final PreferencesViewModel preferences;
    public final GalleryViewModel gallery;
    public final StartImageViewModel startImage;

    private final StudioServices services;
    private final SettingsStore settings;

    public StudioViewModel(StudioContext ctx, Executor ui) {
        services = new StudioServices(ctx, ui);
        status = new StatusViewModel(ui);
        settings = new SettingsStore(services, status);
        prompt = new PromptViewModel(services);
        size = new SizeViewModel(ctx.sizePlanner());
        model = new ModelViewModel(services, settings, status);
        form = new FormViewModel(prompt, size, model);
        canvas = new CanvasViewModel(services, status);
        history = new HistoryViewModel(services, form, canvas, status);
        job = new JobViewModel(services, form, size, model, canvas, history, status, settings);
        preferences = new PreferencesViewModel(services, settings);
        gallery = new GalleryViewModel(history);
        startImage = new StartImageViewModel(services, size, status);
        job.useStartImage(startImage::toStart);
        form.device.bind(preferences.device);
        form.dtype.bind(preferences.precision);
        canvas.locked.bind(job.running);
        model.info.addListener((o, a, m) -> {
            size.useModel(m);
            form.useModel(m);
            prompt.useModel(m);
        });
    }

    /**
     * Opens the history, restores the last form and model (or {@code modelOverride} when not null);
     * slow parts run on the I/O thread.
     */
    public void start(String modelOverride) {
        services.io().execute(() -> {
            AppSettings s = settings.load();
            preferences.probeDevices();
            List<String> cached = ModelViewModel.findCachedModels();
            services.ui().execute(() -> {
                settings.set(s);
                preferences.load(s.preferences());
                form.apply(s.lastForm(), true);
                model.cachedModels.setAll(cached);
                model.updateChoices();
                if (modelOverride != null) {
                    model.loadModel(modelOverride);
                } else if (!s.lastModel().isBlank()) {
                    model.loadModel(s.lastModel());
                }
            });
            history.open(s.preferences().historyFolder());
        });
    }

    /** Remembers the form, stops the engine and closes the database (waits for pending I/O). */
    @Override
    public void close() {
        settings.update(a -> a.withLastForm(form.form()));
        history.commitDelete();
        job.close();
        services.close();
    }

    /** The poster dialog's state, saving where the last poster went (else the output folder). */
    public PosterExportModel newPosterExport() {
        var a = settings.get();
        java.nio.file.Path folder = a.lastPosterFolder().isBlank() ? a.preferences().outputPath()
                : java.nio.file.Path.of(a.lastPosterFolder());
        return new PosterExportModel(studio.pixart.engine.poster.ExportPresets.load(), folder);
    }

    /** Waits until every task queued on the I/O thread so far has run (tests). */
    public void awaitIo() throws InterruptedException {
        services.io().await();
    }

    public StudioContext context() {
        return services.context();
    }
}
