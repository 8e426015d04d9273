package studio.pixart.app.download;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import studio.pixart.engine.hub.DownloadRequest;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.Json;

/**
 * Downloads started and not finished ({@code downloads.json} in the data folder, written
 * atomically): the studio resumes them on its next start. The bytes themselves are the partial
 * files in the hub cache.
 */
public final class PendingDownloads {
    /** One unfinished download; {@code catalogueId} is null for a model outside the catalogue. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pending(String catalogueId, String repo, String revision, String variant, String base) {
        public DownloadRequest request() {
            return new DownloadRequest(repo, revision, variant, base);
        }

        static Pending of(String catalogueId, DownloadRequest r) {
            return new Pending(catalogueId, r.repoId(), r.revision(), r.variant(), r.baseRepoId());
        }
    }

    private final Path file;

    public PendingDownloads(Path file) {
        this.file = file;
    }

    public synchronized List<Pending> load() {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            List<Pending> list = Json.MAPPER.readValue(file.toFile(), new TypeReference<List<Pending>>() {});
            return list.stream().filter(p -> p.repo() != null).toList();
        } catch (IOException | RuntimeException e) {
            return List.of(); // an unreadable list only loses the automatic resume, never the bytes
        }
    }

    public synchronized void add(String catalogueId, DownloadRequest r) {
        List<Pending> list = new ArrayList<>(load());
        list.removeIf(p -> p.repo().equals(r.repoId()));
        list.add(Pending.of(catalogueId, r));
        save(list);
    }

    public synchronized void remove(String repo) {
        List<Pending> list = new ArrayList<>(load());
        if (list.removeIf(p -> p.repo().equals(repo))) {
            save(list);
        }
    }

    private void save(List<Pending> list) {
        try {
            AtomicFiles.writeString(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(list));
        } catch (IOException e) {
            // not fatal: the download itself goes on, only the automatic resume after a restart is lost
        }
    }
}
