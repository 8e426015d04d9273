package studio.pixart.engine.hub;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/** A download running on its own threads: its result, its latest progress, and cancel. */
public final class DownloadJob {
    private final DownloadRequest request;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<DownloadResult> result = new CompletableFuture<>();
    private volatile DownloadProgress progress = DownloadProgress.starting();

    DownloadJob(DownloadRequest request) {
        this.request = request;
    }

    public DownloadRequest request() {
        return request;
    }

    /**
     * Stops the transfers within a fraction of a second; partial files stay in the cache and the
     * next download of the same model resumes them. The result completes with a
     * {@link DownloadCancelledException}.
     */
    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    public CompletableFuture<DownloadResult> result() {
        return result;
    }

    public DownloadProgress progress() {
        return progress;
    }

    void progress(DownloadProgress p) {
        progress = p;
    }

    /** Waits for the end: the result, or the {@link HubException} / {@link DownloadCancelledException}. */
    public DownloadResult await() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new HubException(HubException.Kind.IO, 0, String.valueOf(e.getCause().getMessage()), e.getCause());
        }
    }
}
