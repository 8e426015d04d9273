package studio.pixart.app.history;

import java.time.Instant;
import java.util.Map;
import studio.pixart.app.settings.GenerationSettings;

/**
 * One job kept in the history: finished images and cancelled/failed jobs alike (so a cancelled
 * experiment can be picked up again).
 *
 * @param id         database id (0 before it is stored)
 * @param imageIndex which of the job's images (0 for the first)
 * @param settings   the settings with the seed actually used
 * @param timingsMs  phase → milliseconds (text encoding, denoising, decoding, total)
 * @param thumbnail  PNG bytes, at most 192 px per side (may be empty for a job cancelled before any preview)
 * @param imageFile  file name of the full image inside the studio's images folder ("" if none)
 * @param favourite  marked with a star in the gallery
 */
public record HistoryEntry(long id, Instant created, Status status, int imageIndex, GenerationSettings settings,
                           String modelLabel, int width, int height, Map<String, Long> timingsMs, byte[] thumbnail,
                           String imageFile, String message, boolean favourite) {
    public enum Status { FINISHED, CANCELLED, FAILED }

    public HistoryEntry {
        timingsMs = Map.copyOf(timingsMs);
        thumbnail = thumbnail == null ? new byte[0] : thumbnail;
        imageFile = imageFile == null ? "" : imageFile;
        message = message == null ? "" : message;
        modelLabel = modelLabel == null ? "" : modelLabel;
    }

    public HistoryEntry withId(long newId) {
        return new HistoryEntry(newId, created, status, imageIndex, settings, modelLabel, width, height, timingsMs,
                thumbnail, imageFile, message, favourite);
    }

    public HistoryEntry withImageFile(String f) {
        return new HistoryEntry(id, created, status, imageIndex, settings, modelLabel, width, height, timingsMs,
                thumbnail, f, message, favourite);
    }

    public HistoryEntry withFavourite(boolean on) {
        return new HistoryEntry(id, created, status, imageIndex, settings, modelLabel, width, height, timingsMs,
                thumbnail, imageFile, message, on);
    }
}
