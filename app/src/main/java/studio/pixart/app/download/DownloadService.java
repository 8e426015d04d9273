package studio.pixart.app.download;

import java.util.concurrent.Executor;
import studio.pixart.engine.hub.DownloadCancelledException;
import studio.pixart.engine.hub.DownloadJob;
import studio.pixart.engine.hub.DownloadListener;
import studio.pixart.engine.hub.DownloadProgress;
import studio.pixart.engine.hub.DownloadRequest;
import studio.pixart.engine.hub.DownloadResult;
import studio.pixart.engine.hub.HubCache;
import studio.pixart.engine.hub.HubDownloader;
import studio.pixart.engine.hub.HubSettings;

/**
 * Runs the studio's model downloads: owns the engine's download job (its threads) and hands every
 * event to the UI executor ({@code Platform::runLater} in the app, direct in tests). One download
 * at a time.
 */
public final class DownloadService implements AutoCloseable {
    /** Events of one job, delivered on the UI executor. */
    public interface Listener {
        void progress(DownloadProgress p);

        void note(String message);

        void finished(DownloadResult result);

        void cancelled();

        void failed(Throwable error);
    }

    private final HubDownloader downloader;
    private final Executor ui;
    private volatile DownloadJob current;

    public DownloadService(HubSettings settings, Executor ui) {
        this(new HubDownloader(settings), ui);
    }

    public DownloadService(HubDownloader downloader, Executor ui) {
        this.downloader = downloader;
        this.ui = ui;
    }

    public HubCache cache() {
        return downloader.cache();
    }

    public boolean running() {
        DownloadJob j = current;
        return j != null && !j.result().isDone();
    }

    public void start(DownloadRequest request, Listener listener) {
        if (running()) {
            throw new IllegalStateException("a download is already running");
        }
        DownloadJob job = downloader.start(request, new DownloadListener() {
            @Override
            public void onProgress(DownloadProgress p) {
                ui.execute(() -> listener.progress(p));
            }

            @Override
            public void onNote(String message) {
                ui.execute(() -> listener.note(message));
            }
        });
        current = job;
        job.result().whenComplete((r, e) -> ui.execute(() -> {
            if (e == null) {
                listener.finished(r);
            } else if (e instanceof DownloadCancelledException || e.getCause() instanceof DownloadCancelledException) {
                listener.cancelled();
            } else {
                listener.failed(e.getCause() != null && e instanceof java.util.concurrent.CompletionException ? e.getCause() : e);
            }
        }));
    }

    /** Stops the running download within a second; its partial files stay for a resume. */
    public void stop() {
        DownloadJob j = current;
        if (j != null) {
            j.cancel();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
