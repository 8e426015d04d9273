package studio.pixart.app.vm;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.app.settings.Sampler;
import studio.pixart.engine.image.RgbImage;

/**
 * The gallery: the history as a grid (the same search and favourites filter as the history
 * list), the selected image's details, and two images side by side (the one pinned for
 * comparison and the selected one) with the settings that differ.
 */
public final class GalleryViewModel {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    public final ObjectProperty<HistoryEntry> selected = new SimpleObjectProperty<>();
    public final ObjectProperty<RgbImage> selectedImage = new SimpleObjectProperty<>();
    /** The image kept for comparison ("Compare" pins the selected one). */
    public final ObjectProperty<HistoryEntry> pinned = new SimpleObjectProperty<>();
    public final ObjectProperty<RgbImage> pinnedImage = new SimpleObjectProperty<>();
    /** The selected image's details: label → value. */
    public final ObservableList<Map.Entry<String, String>> details = FXCollections.observableArrayList();

    private final HistoryViewModel history;

    public GalleryViewModel(HistoryViewModel history) {
        this.history = history;
        selected.addListener((o, a, e) -> {
            details.setAll(e == null ? List.of() : List.copyOf(details(e).entrySet()));
            selectedImage.set(null);
            if (e != null) {
                history.loadImage(e, img -> {
                    if (selected.get() == e) {
                        selectedImage.set(img);
                    }
                });
            }
        });
        history.items.addListener((javafx.collections.ListChangeListener<HistoryEntry>) c -> {
            HistoryEntry s = selected.get();
            if (s != null) {
                HistoryEntry now = history.items.stream().filter(x -> x.id() == s.id()).findFirst().orElse(null);
                if (now == null) {
                    selected.set(null);
                } else if (now != s && now.favourite() != s.favourite()) {
                    selected.set(now);
                }
            }
            HistoryEntry p = pinned.get();
            if (p != null && history.items.stream().noneMatch(x -> x.id() == p.id()) && history.pendingDelete.get() != null
                    && history.pendingDelete.get().id() == p.id()) {
                unpin();
            }
        });
    }

    public ObservableList<HistoryEntry> items() {
        return history.items;
    }

    /**
     * Moves the selection {@code delta} places through the grid's order (the arrow keys: ±1, or ± a
     * row's width), stopping at the first and the last image; with nothing selected it selects the
     * first. {@code Integer.MIN_VALUE}/{@code MAX_VALUE} go to the first/last (Home, End).
     */
    public void moveSelection(int delta) {
        List<HistoryEntry> list = items();
        if (list.isEmpty()) {
            return;
        }
        HistoryEntry s = selected.get();
        int at = -1;
        for (int i = 0; s != null && i < list.size(); i++) {
            if (list.get(i).id() == s.id()) {
                at = i;
                break;
            }
        }
        long next = at < 0 ? 0 : (long) at + delta;
        selected.set(list.get((int) Math.max(0, Math.min(list.size() - 1, next))));
    }

    public void toggleFavourite() {
        HistoryEntry e = selected.get();
        if (e != null) {
            history.setFavourite(e, !e.favourite());
        }
    }

    /** Keeps the selected image to compare the next selected one with. */
    public void pin() {
        HistoryEntry e = selected.get();
        pinned.set(e);
        pinnedImage.set(selectedImage.get());
        if (e != null && selectedImage.get() == null) {
            history.loadImage(e, img -> {
                if (pinned.get() == e) {
                    pinnedImage.set(img);
                }
            });
        }
    }

    public void unpin() {
        pinned.set(null);
        pinnedImage.set(null);
    }

    /** What a person reads about an image, in order. */
    public static Map<String, String> details(HistoryEntry e) {
        GenerationSettings s = e.settings();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Prompt", s.prompt());
        m.put("Negative prompt", s.negativePrompt().isBlank() ? "\u2014" : s.negativePrompt());
        m.put("Model", e.modelLabel().isBlank() ? s.model() : e.modelLabel() + " (" + s.model() + ")");
        Sampler sm = Sampler.parse(s.sampler());
        m.put("Sampler", sm == null ? s.sampler() : sm.display);
        m.put("Steps", Integer.toString(s.steps()));
        m.put("Guidance", String.format(Locale.ROOT, "%.1f", s.guidance()));
        m.put("Seed", Long.toString(s.seed()));
        m.put("Size", e.width() + " \u00d7 " + e.height());
        m.put("Timings", timings(e.timingsMs()));
        m.put("Created", TIME.format(e.created()));
        if (e.status() != HistoryEntry.Status.FINISHED || !e.message().isEmpty()) {
            m.put("Note", (e.status() == HistoryEntry.Status.FINISHED ? "" : e.status().name().toLowerCase(Locale.ROOT) + ": ")
                    + e.message());
        }
        return m;
    }

    /** The settings in which two images differ: label → {pinned's, selected's}. */
    public static Map<String, String[]> differences(HistoryEntry a, HistoryEntry b) {
        Map<String, String> da = details(a);
        Map<String, String> db = details(b);
        Map<String, String[]> out = new LinkedHashMap<>();
        for (String k : da.keySet()) {
            if (k.equals("Created") || k.equals("Timings")) {
                continue;
            }
            String va = da.get(k);
            String vb = db.getOrDefault(k, "\u2014");
            if (!va.equals(vb)) {
                out.put(k, new String[] {va, vb});
            }
        }
        return out;
    }

    static String timings(Map<String, Long> ms) {
        if (ms.isEmpty()) {
            return "\u2014";
        }
        List<String> parts = new ArrayList<>();
        Long total = ms.get("total");
        if (total != null) {
            parts.add(String.format(Locale.ROOT, "%.1f s total", total / 1000.0));
        }
        ms.forEach((k, v) -> {
            if (!k.equals("total") && v > 0) {
                parts.add(String.format(Locale.ROOT, "%s %.1f s", k, v / 1000.0));
            }
        });
        return String.join(" \u00b7 ", parts);
    }
}
