package studio.pixart.app.vm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import studio.pixart.app.io.FileNames;
import studio.pixart.app.io.ImageFiles;
import studio.pixart.app.service.StudioServices;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.image.RgbImage;

/** What the canvas shows (a live preview or a finished image with its settings) and its export. */
public final class CanvasViewModel {
    public final ObjectProperty<RgbImage> image = new SimpleObjectProperty<>();
    public final BooleanProperty imageIsPreview = new SimpleBooleanProperty(false);
    /** Settings of the image on the canvas (null while it is a preview or nothing is shown). */
    public final ObjectProperty<GenerationSettings> imageSettings = new SimpleObjectProperty<>();
    /** True while a job owns the canvas: images picked elsewhere do not replace its previews. */
    public final BooleanProperty locked = new SimpleBooleanProperty(false);
    /** The history entry the canvas shows (-1: a job's image, a file's, or nothing). */
    public final LongProperty sourceId = new SimpleLongProperty(-1);
    /** What an export of the canvas image embeds (engine description + form); null for previews. */
    private Map<String, Object> imageMetadata;

    private final StudioServices services;
    private final StatusViewModel status;

    public CanvasViewModel(StudioServices services, StatusViewModel status) {
        this.services = services;
        this.status = status;
    }

    public void showPreview(RgbImage img) {
        sourceId.set(-1);
        image.set(img);
        imageIsPreview.set(true);
        imageSettings.set(null);
        imageMetadata = null;
    }

    /** A finished image; {@code settings} null = shown like a preview (a thumbnail without its file). */
    public void showImage(RgbImage img, GenerationSettings settings, Map<String, Object> metadata) {
        sourceId.set(-1);
        image.set(img);
        imageIsPreview.set(settings == null);
        imageSettings.set(settings);
        imageMetadata = settings == null ? null : metadata;
    }

    /** Like {@link #showImage} unless a job owns the canvas; true when shown. */
    public boolean offer(RgbImage img, GenerationSettings settings, Map<String, Object> metadata) {
        if (locked.get()) {
            return false;
        }
        showImage(img, settings, metadata);
        return true;
    }

    /** Nothing on the canvas (its image was deleted). */
    public void clear() {
        sourceId.set(-1);
        image.set(null);
        imageIsPreview.set(false);
        imageSettings.set(null);
        imageMetadata = null;
    }

    /** The name Export proposes: the preferences' pattern filled from the canvas image's own settings. */
    public String suggestedFileName(String pattern) {
        GenerationSettings s = imageSettings.get();
        return s == null ? "pixart.png" : FileNames.format(pattern, s, java.time.LocalDateTime.now()) + ".png";
    }

    public boolean canExport() {
        return image.get() != null && !imageIsPreview.get();
    }

    /**
     * Exports the canvas image with its settings by extension (.png, .jpg, .tif; a name without one
     * gets .png); {@code done} gets the file written on success (UI thread).
     */
    public void export(Path chosen, Consumer<Path> done) {
        Path file = chosen;
        try {
            ImageExport.formatOf(file);
        } catch (IllegalArgumentException e) {
            file = file.resolveSibling(file.getFileName() + ".png"); // no known extension: PNG keeps the settings
        }
        Path target = file;
        RgbImage img = image.get();
        GenerationSettings s = imageSettings.get();
        Map<String, Object> meta = s == null ? null : s.toMetadata(imageMetadata);
        if (img == null || imageIsPreview.get()) {
            status.error.set(new ErrorInfo("Nothing to export", "There is no finished image on the canvas.",
                    "Generate an image or pick one from the history."));
            return;
        }
        services.io().execute(() -> {
            try {
                ImageFiles.write(target, img, meta);
                services.ui().execute(() -> {
                    status.status.set("Exported " + target);
                    if (done != null) {
                        done.accept(target);
                    }
                });
            } catch (IOException | RuntimeException e) {
                status.showError("Export failed", String.valueOf(e.getMessage()), "Choose another folder or file name.");
            }
        });
    }
}
