package studio.pixart.engine.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * A finished download.
 *
 * @param modelSpec        what to open: {@code ORG/NAME} (or {@code @rev})
 * @param baseSpec         the base pipeline to open it with; null when the repository is complete
 * @param snapshot         the snapshot folder in the hub cache
 * @param bytesTransferred bytes received over the network (0 when everything was in the cache)
 * @param notes            things worth telling the user (resumes, restarts, a missing variant)
 */
public record DownloadResult(String modelSpec, String baseSpec, String commit, Path snapshot, long bytesTransferred,
                             int filesDownloaded, int filesReused, List<String> notes) {}
