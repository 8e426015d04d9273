package studio.pixart.app.vm;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javax.imageio.ImageIO;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.model.AspectRatio;
import studio.pixart.app.service.StudioServices;
import studio.pixart.engine.image.RgbImage;

/**
 * Image to image and inpainting: the start image (from the canvas, the history, a file or a
 * drop), the strength, and the inpainting mask painted on the canvas with a brush or an eraser.
 * The next generations start from it while it is set.
 */
public final class StartImageViewModel {
    public enum Tool { BRUSH, ERASER }

    public final ObjectProperty<RgbImage> image = new SimpleObjectProperty<>();
    public final StringProperty source = new SimpleStringProperty("");
    /** 0 keeps the image, 1 repaints all of it. */
    public final DoubleProperty strength = new SimpleDoubleProperty(0.6);
    /** Repaint only where the mask is painted. */
    public final BooleanProperty inpaint = new SimpleBooleanProperty(false);
    public final ObjectProperty<Tool> tool = new SimpleObjectProperty<>(Tool.BRUSH);
    /** Brush diameter in image pixels. */
    public final DoubleProperty brushSize = new SimpleDoubleProperty(32);
    /** Changes whenever the mask does (views redraw on it). */
    public final IntegerProperty maskVersion = new SimpleIntegerProperty();
    /** The painted share of the image, 0..1. */
    public final DoubleProperty maskCoverage = new SimpleDoubleProperty();
    /** True while there is a stroke, Clear or Invert to undo. */
    public final BooleanProperty canUndoMask = new SimpleBooleanProperty(false);

    /** Mask edits kept for Undo (one byte a pixel: the mask holds only 0 and 1). */
    private static final int UNDO_LIMIT = 20;
    private final java.util.ArrayDeque<byte[]> undo = new java.util.ArrayDeque<>();

    private final StudioServices services;
    private final SizeViewModel size;
    private final StatusViewModel status;
    /** 1 = repaint, per image pixel (row-major); null without an image. */
    private float[] mask;
    private int painted;

    public StartImageViewModel(StudioServices services, SizeViewModel size, StatusViewModel status) {
        this.services = services;
        this.size = size;
        this.status = status;
    }

    /** Starts from {@code img} ({@code from} says where it came from); the aspect ratio follows the image. */
    public void use(RgbImage img, String from) {
        if (img == null) {
            return;
        }
        image.set(img);
        source.set(from);
        mask = new float[img.width() * img.height()];
        painted = 0;
        forgetUndo();
        changed();
        size.aspect.set(AspectRatio.closest(size.aspectRatios, img.width(), img.height()));
        status.status.set("Generations start from " + from + " (strength " + String.format(java.util.Locale.ROOT, "%.2f", strength.get()) + ")");
    }

    public void useHistory(HistoryEntry e, HistoryViewModel history) {
        history.loadImage(e, img -> use(img, "history image (seed " + e.settings().seed() + ")"));
    }

    /** Loads an image file off the UI thread. */
    public void useFile(Path file) {
        services.io().execute(() -> {
            try {
                BufferedImage img = ImageIO.read(file.toFile());
                if (img == null) {
                    throw new IOException(file.getFileName() + " is not an image this studio reads (PNG, JPEG, BMP, GIF)");
                }
                RgbImage rgb = RgbImage.fromBufferedImage(img);
                services.ui().execute(() -> use(rgb, file.getFileName().toString()));
            } catch (IOException | RuntimeException e) {
                status.showError("Start image not opened", String.valueOf(e.getMessage()), "Choose a PNG or JPEG image.");
            }
        });
    }

    public void clear() {
        if (image.get() != null) {
            status.status.set("Back to text to image");
        }
        image.set(null);
        source.set("");
        mask = null;
        painted = 0;
        forgetUndo();
        inpaint.set(false);
        changed();
    }

    /** Paints (brush) or erases a disc of the brush size at image pixel ({@code x}, {@code y}). */
    public void paint(double x, double y) {
        RgbImage img = image.get();
        if (img == null || !inpaint.get()) {
            return;
        }
        float v = tool.get() == Tool.BRUSH ? 1f : 0f;
        double r = Math.max(0.5, brushSize.get() / 2);
        int w = img.width();
        int h = img.height();
        for (int j = (int) Math.max(0, Math.floor(y - r)); j <= Math.min(h - 1, Math.ceil(y + r)); j++) {
            for (int i = (int) Math.max(0, Math.floor(x - r)); i <= Math.min(w - 1, Math.ceil(x + r)); i++) {
                double dx = i + 0.5 - x;
                double dy = j + 0.5 - y;
                if (dx * dx + dy * dy <= r * r) {
                    int k = j * w + i;
                    if (mask[k] != v) {
                        painted += v > 0 ? 1 : -1;
                        mask[k] = v;
                    }
                }
            }
        }
        changed();
    }

    /** A stroke starts (the mouse is pressed): what the mask was before it is kept for {@link #undoMask}. */
    public void beginStroke() {
        if (image.get() != null && inpaint.get()) {
            remember();
        }
    }

    /** Puts the mask back as it was before the last stroke, Clear or Invert. */
    public void undoMask() {
        if (mask == null || undo.isEmpty()) {
            return;
        }
        byte[] before = undo.removeLast();
        painted = 0;
        for (int k = 0; k < mask.length; k++) {
            mask[k] = before[k];
            painted += before[k];
        }
        canUndoMask.set(!undo.isEmpty());
        changed();
    }

    private void remember() {
        if (mask == null) {
            return;
        }
        byte[] snap = new byte[mask.length];
        for (int k = 0; k < mask.length; k++) {
            snap[k] = (byte) (mask[k] > 0.5f ? 1 : 0);
        }
        undo.addLast(snap);
        if (undo.size() > UNDO_LIMIT) {
            undo.removeFirst();
        }
        canUndoMask.set(true);
    }

    private void forgetUndo() {
        undo.clear();
        canUndoMask.set(false);
    }

    public void clearMask() {
        if (mask != null) {
            remember();
            java.util.Arrays.fill(mask, 0);
            painted = 0;
            changed();
        }
    }

    public void invertMask() {
        if (mask != null) {
            remember();
            for (int k = 0; k < mask.length; k++) {
                mask[k] = 1 - mask[k];
            }
            painted = mask.length - painted;
            changed();
        }
    }

    /** The mask value at an image pixel (1 = repaint). */
    public float maskAt(int x, int y) {
        return mask == null ? 0 : mask[y * image.get().width() + x];
    }

    /** The mask as the engine takes it: white = repaint, black = keep; null when nothing is painted. */
    public RgbImage maskImage() {
        RgbImage img = image.get();
        if (img == null || painted == 0) {
            return null;
        }
        float[] rgb = new float[mask.length * 3];
        for (int k = 0; k < mask.length; k++) {
            rgb[3 * k] = mask[k];
            rgb[3 * k + 1] = mask[k];
            rgb[3 * k + 2] = mask[k];
        }
        return new RgbImage(img.width(), img.height(), rgb);
    }

    /** What the next job starts from, or null for text to image. */
    public StartImage toStart() {
        RgbImage img = image.get();
        if (img == null) {
            return null;
        }
        return new StartImage(img, strength.get(), inpaint.get() ? maskImage() : null, source.get(), inpaint.get());
    }

    private void changed() {
        maskCoverage.set(mask == null || mask.length == 0 ? 0 : painted / (double) mask.length);
        maskVersion.set(maskVersion.get() + 1);
    }
}
