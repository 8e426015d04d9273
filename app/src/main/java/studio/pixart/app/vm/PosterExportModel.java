package studio.pixart.app.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.job.PosterSpec;
import studio.pixart.engine.poster.ExportPresets;
import studio.pixart.engine.poster.PosterPipeline;

/**
 * The Export poster / wallpaper dialog's state, without any window: a preset (or a custom size),
 * the DPI (print presets are re-resolved at it), strength, format and destination; the crop the
 * target's aspect keeps of the current image (the poster path center-crops, see
 * {@link studio.pixart.engine.image.ImageResize#cover}); and the {@link PosterSpec} it runs as.
 */
public final class PosterExportModel {
    public static final String CUSTOM = "custom";

    public enum Format {
        PNG(".png"), JPEG(".jpg"), TIFF(".tif");

        public final String extension;

        Format(String extension) {
            this.extension = extension;
        }
    }

    /** A rectangle in source-image pixels. */
    public record Crop(double x, double y, double width, double height) {}

    private final ExportPresets presets;
    /** Preset id, or {@link #CUSTOM}. */
    public final StringProperty presetId = new SimpleStringProperty("wallpaper-4k");
    public final IntegerProperty width = new SimpleIntegerProperty(3840);
    public final IntegerProperty height = new SimpleIntegerProperty(2160);
    public final IntegerProperty dpi;
    public final DoubleProperty strength = new SimpleDoubleProperty(PosterPipeline.DEFAULT_STRENGTH);
    public final ObjectProperty<Format> format = new SimpleObjectProperty<>(Format.PNG);
    public final StringProperty destination = new SimpleStringProperty("");
    /** Said under the destination when its folder does not exist yet (it is created on Run), else "". */
    public final StringProperty destinationNote = new SimpleStringProperty("");
    /** A note for capped print presets ("A2 at 300 dpi exceeds 4096 px: 150 dpi"), else empty. */
    public final StringProperty note = new SimpleStringProperty("");

    public PosterExportModel(ExportPresets presets, Path folder) {
        this.presets = presets;
        this.dpi = new SimpleIntegerProperty(presets.defaultDpi());
        destination.set(folder.resolve("poster.png").toString());
        presetId.addListener((o, a, b) -> applyPreset());
        dpi.addListener((o, a, b) -> applyPreset());
        format.addListener((o, a, b) -> destination.set(withExtension(destination.get(), b)));
        destination.addListener((o, a, b) -> checkDestination());
        applyPreset();
        checkDestination();
    }

    private void checkDestination() {
        String d = destination.get();
        Path parent = d == null || d.isBlank() ? null : Path.of(d).toAbsolutePath().getParent();
        destinationNote.set(parent != null && !java.nio.file.Files.isDirectory(parent)
                ? "The folder " + parent + " does not exist yet: Run creates it." : "");
    }

    /** Presets at the current DPI, grouped by category in file order. */
    public Map<String, List<ExportPresets.Preset>> presetsByCategory() {
        Map<String, List<ExportPresets.Preset>> out = new LinkedHashMap<>();
        for (ExportPresets.Preset p : presets.all(dpi.get())) {
            out.computeIfAbsent(p.category(), c -> new ArrayList<>()).add(p);
        }
        return out;
    }

    /** A custom size: the preset becomes {@link #CUSTOM}. */
    public void setCustomSize(int w, int h) {
        presetId.set(CUSTOM);
        width.set(w);
        height.set(h);
        note.set("");
    }

    private void applyPreset() {
        if (CUSTOM.equals(presetId.get())) {
            return;
        }
        ExportPresets.Preset p = presets.find(presetId.get(), dpi.get());
        width.set(p.width());
        height.set(p.height());
        note.set(p.capped() ? String.format(Locale.ROOT, "%s at %d dpi exceeds %d px: rendered at %d dpi",
                p.name(), dpi.get(), presets.maxLongSide(), p.dpi()) : "");
    }

    /** The DPI written into the file: a capped print preset's effective DPI, else the chosen one. */
    public int effectiveDpi() {
        if (CUSTOM.equals(presetId.get())) {
            return dpi.get();
        }
        ExportPresets.Preset p = presets.find(presetId.get(), dpi.get());
        return p.dpi() > 0 ? p.dpi() : dpi.get();
    }

    /** The part of a {@code srcW × srcH} image that a {@code width × height} poster keeps (centered). */
    public Crop crop(int srcW, int srcH) {
        double target = (double) width.get() / height.get();
        double src = (double) srcW / srcH;
        if (target > src) { // wider target: full width, a horizontal band
            double h = srcW / target;
            return new Crop(0, (srcH - h) / 2, srcW, h);
        }
        double w = srcH * target;
        return new Crop((srcW - w) / 2, 0, w, srcH);
    }

    /** Why the dialog cannot run yet (null when it can). */
    public String problem() {
        if (width.get() < 64 || height.get() < 64 || width.get() > 16384 || height.get() > 16384) {
            return "The size must be 64 to 16384 pixels per side.";
        }
        if (!(strength.get() > 0 && strength.get() <= 1)) {
            return "The strength must be above 0 and at most 1.";
        }
        if (destination.get() == null || destination.get().isBlank()) {
            return "Choose where to save the poster.";
        }
        return null;
    }

    /** The job to run; the destination gets the format's extension when it has none (or another). */
    public PosterSpec spec() {
        String problem = problem();
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        Path out = Path.of(withExtension(destination.get(), format.get()));
        return new PosterSpec(width.get(), height.get(), strength.get(), false, out,
                new ImageExport.Options(effectiveDpi(), false, 0.95f));
    }

    static String withExtension(String path, Format f) {
        if (path == null || path.isBlank()) {
            return path;
        }
        String lower = path.toLowerCase(Locale.ROOT);
        for (String ext : List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff")) {
            if (lower.endsWith(ext)) {
                return path.substring(0, path.length() - ext.length()) + f.extension;
            }
        }
        return path + f.extension;
    }
}
