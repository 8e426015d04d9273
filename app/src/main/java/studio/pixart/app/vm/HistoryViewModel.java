package studio.pixart.app.vm;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javax.imageio.ImageIO;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.history.HistoryStore;
import studio.pixart.app.io.ImageFiles;
import studio.pixart.app.service.StudioServices;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.image.RgbImage;

/**
 * The history: finished (and cancelled) jobs from the database, newest first, searchable; showing
 * one on the canvas, restoring its settings into the form, deleting it. Database and files are
 * read and written on the I/O thread.
 */
public final class HistoryViewModel {
    static final int HISTORY_LIMIT = 200;

    public final ObservableList<HistoryEntry> items = FXCollections.observableArrayList();
    public final StringProperty query = new SimpleStringProperty("");
    public final ObjectProperty<HistoryEntry> selected = new SimpleObjectProperty<>();
    /** Show only the images marked with a star. */
    public final BooleanProperty favouritesOnly = new SimpleBooleanProperty(false);
    /** The entry deleted last, until the deletion is committed (Undo puts it back). */
    public final ObjectProperty<HistoryEntry> pendingDelete = new SimpleObjectProperty<>();
    /** What the empty list says: nothing yet, or no match for the search. */
    public final StringBinding emptyText = Bindings.createStringBinding(() -> query.get() != null && !query.get().isBlank()
            ? "No match for \u201c" + query.get().strip() + "\u201d"
            : favouritesOnly.get() ? "No favourites yet: mark images with \u2605." : "Finished images appear here.", query, favouritesOnly);

    private final StudioServices services;
    private final FormViewModel form;
    private final CanvasViewModel canvas;
    private final StatusViewModel status;

    public HistoryViewModel(StudioServices services, FormViewModel form, CanvasViewModel canvas, StatusViewModel status) {
        this.services = services;
        this.form = form;
        this.canvas = canvas;
        this.status = status;
        query.addListener((o, a, b) -> refresh());
        favouritesOnly.addListener((o, a, b) -> refresh());
    }

    /** On the I/O thread: opens the database (in {@code folder}, "" = the data folder) and lists it. */
    void open(String folder) {
        try {
            services.openHistory(folder);
            List<HistoryEntry> list = services.history().search("", HISTORY_LIMIT);
            services.ui().execute(() -> setItems(list));
        } catch (IOException e) {
            status.showError("History unavailable", e.getMessage(), "The studio works without it; images can still be exported.");
        }
    }

    /** Loads an entry's full image (its thumbnail when the file is gone) off the UI thread; {@code done} runs on the UI thread. */
    public void loadImage(HistoryEntry e, java.util.function.Consumer<RgbImage> done) {
        services.io().execute(() -> {
            HistoryStore history = services.history();
            Path p = history == null ? null : history.imagePath(e);
            try {
                BufferedImage img = p != null && java.nio.file.Files.isRegularFile(p) ? ImageIO.read(p.toFile())
                        : e.thumbnail().length > 0 ? ImageIO.read(new ByteArrayInputStream(e.thumbnail())) : null;
                RgbImage rgb = img == null ? null : RgbImage.fromBufferedImage(img);
                services.ui().execute(() -> done.accept(rgb));
            } catch (IOException ex) {
                services.ui().execute(() -> done.accept(null));
            }
        });
    }

    /** On the I/O thread: stores one history row (and the full PNG with its metadata for finished images). */
    void record(HistoryEntry.Status st, int index, GenerationSettings s, Map<String, Object> metadata,
                String label, RgbImage img, Map<String, Long> timings, String message) {
        HistoryStore history = services.history();
        if (history == null) {
            return;
        }
        try {
            byte[] thumb = img == null ? new byte[0] : thumbnail(img.toBufferedImage(), 192);
            HistoryStore.ImageWriter full = st == HistoryEntry.Status.FINISHED && img != null
                    ? file -> ImageFiles.write(file, img, metadata) : null;
            HistoryEntry e = new HistoryEntry(0, Instant.now(), st, index, s, label,
                    full != null ? img.width() : s.width(), full != null ? img.height() : s.height(), timings, thumb, "", message, false);
            history.add(e, full);
            List<HistoryEntry> list = history.search(query.get(), favouritesOnly.get(), HISTORY_LIMIT);
            services.ui().execute(() -> setItems(list));
        } catch (IOException | RuntimeException e) {
            status.showError("Not saved to history", String.valueOf(e.getMessage()),
                    "The image is still on the canvas: export it with File \u2192 Export.");
        }
    }

    /** UI thread: the listed entries, without one waiting to be deleted. */
    private void setItems(List<HistoryEntry> list) {
        HistoryEntry gone = pendingDelete.get();
        items.setAll(gone == null ? list : list.stream().filter(x -> x.id() != gone.id()).toList());
    }

    static byte[] thumbnail(BufferedImage src, int max) throws IOException {
        double scale = Math.min(1.0, max / (double) Math.max(src.getWidth(), src.getHeight()));
        int w = Math.max(1, (int) Math.round(src.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(src.getHeight() * scale));
        BufferedImage t = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        var g = t.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(t, "png", out);
        return out.toByteArray();
    }

    public void restoreFrom(HistoryEntry e) {
        form.apply(e.settings(), false);
        status.status.set("Settings restored from history (seed " + e.settings().seed() + ")");
    }

    /** Shows a history entry's image on the canvas (loaded off the UI thread). */
    public void show(HistoryEntry e) {
        selected.set(e);
        services.io().execute(() -> {
            HistoryStore history = services.history();
            if (history == null) {
                return;
            }
            Path p = history.imagePath(e);
            try {
                BufferedImage img = p != null ? ImageIO.read(p.toFile())
                        : e.thumbnail().length > 0 ? ImageIO.read(new ByteArrayInputStream(e.thumbnail())) : null;
                if (img == null) {
                    return;
                }
                RgbImage rgb = RgbImage.fromBufferedImage(img);
                Map<String, Object> meta = p == null ? null : ImageFiles.readMetadata(p);
                services.ui().execute(() -> {
                    if (canvas.offer(rgb, p == null ? null : e.settings(), meta)) {
                        canvas.sourceId.set(e.id());
                    }
                });
            } catch (IOException ex) {
                status.showError("Image not found", ex.getMessage(), "The history entry is kept; delete it if the file is gone.");
            }
        });
    }

    /**
     * Takes an entry out of the history at once, undoable until {@link #commitDelete} (the next
     * delete, the undo bar timing out, or closing): the database row and file go then. The canvas
     * stops showing the image when it was this entry's.
     */
    public void delete(HistoryEntry e) {
        commitDelete();
        pendingDelete.set(e);
        items.removeIf(x -> x.id() == e.id());
        if (selected.get() != null && selected.get().id() == e.id()) {
            selected.set(null);
        }
        if (canvas.sourceId.get() == e.id()) {
            canvas.clear();
        }
        status.status.set("Deleted \u201c" + Texts.abbreviate(e.settings().prompt(), 40) + "\u201d");
    }

    /** Puts the entry deleted last back (it never left the database). */
    public void undoDelete() {
        HistoryEntry e = pendingDelete.get();
        if (e != null) {
            pendingDelete.set(null);
            status.status.set("Restored \u201c" + Texts.abbreviate(e.settings().prompt(), 40) + "\u201d");
            refresh();
        }
    }

    /** Deletes the pending entry from the database and its image file. */
    public void commitDelete() {
        HistoryEntry e = pendingDelete.get();
        if (e == null) {
            return;
        }
        pendingDelete.set(null);
        services.io().execute(() -> {
            HistoryStore history = services.history();
            if (history == null) {
                return;
            }
            try {
                history.delete(e.id());
            } catch (IOException ex) {
                status.showError("Not deleted", ex.getMessage(),
                        "Try again; if it keeps failing, check the data folder " + services.context().dataDir());
                refresh();
            }
        });
    }

    /** Marks or unmarks an entry with a star (saved at once). */
    public void setFavourite(HistoryEntry e, boolean on) {
        HistoryEntry updated = e.withFavourite(on);
        int i = indexOf(e.id());
        if (i >= 0) {
            items.set(i, updated);
        }
        if (selected.get() != null && selected.get().id() == e.id()) {
            selected.set(updated);
        }
        services.io().execute(() -> {
            HistoryStore history = services.history();
            if (history == null) {
                return;
            }
            try {
                history.setFavourite(e.id(), on);
                if (favouritesOnly.get()) {
                    refresh();
                }
            } catch (IOException ex) {
                status.showError("Not saved", ex.getMessage(), "Try again; the star is kept until the studio closes.");
            }
        });
    }

    private int indexOf(long id) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).id() == id) {
                return i;
            }
        }
        return -1;
    }

    public void refresh() {
        String q = query.get();
        boolean stars = favouritesOnly.get();
        services.io().execute(() -> {
            HistoryStore history = services.history();
            if (history == null) {
                return;
            }
            try {
                List<HistoryEntry> list = history.search(q, stars, HISTORY_LIMIT);
                services.ui().execute(() -> setItems(list));
            } catch (IOException ex) {
                status.showError("History unavailable", ex.getMessage(), "");
            }
        });
    }

    /** Restores settings from a dropped or opened image file; shows the image too. */
    public void restoreFromFile(Path file) {
        services.io().execute(() -> {
            try {
                GenerationSettings s = ImageFiles.readSettings(file);
                Map<String, Object> meta = ImageFiles.readMetadata(file);
                BufferedImage img = ImageIO.read(file.toFile());
                RgbImage rgb = img == null ? null : RgbImage.fromBufferedImage(img);
                services.ui().execute(() -> {
                    form.apply(s, false);
                    if (rgb != null) {
                        canvas.offer(rgb, s, meta);
                    }
                    status.error.set(null);
                    status.status.set("Settings restored from " + file.getFileName());
                });
            } catch (IOException | RuntimeException e) {
                status.showError("No settings in this file", String.valueOf(e.getMessage()),
                        "Drop a PNG made by PixArt Studio or by a tool that writes a 'parameters' text chunk.");
            }
        });
    }
}
