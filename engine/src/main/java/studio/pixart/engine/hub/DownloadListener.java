package studio.pixart.engine.hub;

/** Receives a running download's progress (a few times a second) and notes, on the job's threads. */
public interface DownloadListener {
    void onProgress(DownloadProgress progress);

    /** Something the user may want to know (a resume, a discarded partial file); not an error. */
    default void onNote(String message) {}

    DownloadListener NONE = p -> {};
}
