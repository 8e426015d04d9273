package studio.pixart.engine.hub;

import java.time.Duration;
import java.util.List;

/**
 * A picture of a running download, sent a few times a second.
 *
 * @param phase            what the job is doing now
 * @param files            every file of the job, in order
 * @param totalBytes       bytes of all files
 * @param doneBytes        bytes on disk (reused, resumed and received)
 * @param transferredBytes bytes received over the network in this run
 * @param bytesPerSecond   recent receive rate (last few seconds)
 * @param eta              time left at that rate; null while unknown
 */
public record DownloadProgress(Phase phase, List<FileProgress> files, long totalBytes, long doneBytes,
                               long transferredBytes, double bytesPerSecond, Duration eta) {
    public enum Phase { RESOLVING, DOWNLOADING, FINISHING, DONE, CANCELLED, FAILED }

    public enum FileState { QUEUED, WAITING_FOR_LOCK, DOWNLOADING, VERIFYING, DONE, REUSED, FAILED }

    public record FileProgress(String repoId, String path, long size, long done, FileState state) {}

    public double fraction() {
        return totalBytes <= 0 ? 0 : Math.min(1.0, doneBytes / (double) totalBytes);
    }

    public static DownloadProgress starting() {
        return new DownloadProgress(Phase.RESOLVING, List.of(), 0, 0, 0, 0, null);
    }
}
