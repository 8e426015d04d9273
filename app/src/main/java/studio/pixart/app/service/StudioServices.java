package studio.pixart.app.service;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import studio.pixart.app.StudioContext;
import studio.pixart.app.history.HistoryStore;
import studio.pixart.engine.job.GenerationService;

/**
 * The threads and stores the view-models share, built from a {@link StudioContext}: the I/O
 * thread, the engine's job service (created on first use: it starts the engine's worker), the
 * history database (opened on the I/O thread) and the UI executor results come back through
 * (Platform::runLater in the app, direct in tests). View-models own none of these.
 */
public final class StudioServices implements AutoCloseable {
    private final StudioContext ctx;
    private final Executor ui;
    private final IoService io = new IoService();
    private GenerationService engine;
    /** Written and read on the I/O thread only. */
    private HistoryStore history;

    public StudioServices(StudioContext ctx, Executor ui) {
        this.ctx = ctx;
        this.ui = ui;
    }

    public StudioContext context() {
        return ctx;
    }

    public Executor ui() {
        return ui;
    }

    public IoService io() {
        return io;
    }

    /** The engine's job service, started on first use (UI thread). */
    public synchronized GenerationService engine() {
        if (engine == null) {
            engine = ctx.newService();
        }
        return engine;
    }

    /** On the I/O thread: opens the history database in {@code folder} ("" = the data folder). */
    public void openHistory(String folder) throws IOException {
        history = HistoryStore.open(folder == null || folder.isBlank() ? ctx.dataDir() : Path.of(folder));
    }

    /** On the I/O thread: the history database, or null when it could not be opened. */
    public HistoryStore history() {
        return history;
    }

    public Path settingsFile() {
        return ctx.dataDir().resolve("settings.json");
    }

    /** Stops the engine, then closes the database after pending I/O has run. */
    @Override
    public void close() {
        synchronized (this) {
            if (engine != null) {
                engine.close();
            }
        }
        io.execute(() -> {
            if (history != null) {
                history.close();
            }
        });
        io.close();
    }
}
