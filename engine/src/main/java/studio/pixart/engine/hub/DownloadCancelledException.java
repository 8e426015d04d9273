package studio.pixart.engine.hub;

import java.util.concurrent.CancellationException;

/** The user cancelled or paused the download; partial files are kept for a later resume. */
public final class DownloadCancelledException extends CancellationException {
    public DownloadCancelledException(String message) {
        super(message);
    }
}
