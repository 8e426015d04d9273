package studio.pixart.app.view;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.Region;
import javafx.scene.shape.Rectangle;
import studio.pixart.engine.image.RgbImage;

/**
 * The live canvas: shows the current preview or image fitted to the window (default), or at a
 * chosen zoom with panning (mouse wheel zooms around the pointer, drag pans, double-click
 * toggles fit / 1:1).
 */
public final class ImageCanvas extends Region {
    public final ObjectProperty<RgbImage> image = new SimpleObjectProperty<>();
    public final BooleanProperty fit = new SimpleBooleanProperty(true);
    public final DoubleProperty zoom = new SimpleDoubleProperty(1);
    private final ImageView view = new ImageView();
    /** Drawn over the image at the same place and scale (the inpainting mask). */
    private final ImageView overlay = new ImageView();
    /** While true, the primary mouse button paints (through {@link #onPaint}) instead of panning. */
    public final BooleanProperty painting = new SimpleBooleanProperty(false);
    /** Gets image pixel coordinates under the pointer while painting. */
    private java.util.function.BiConsumer<Double, Double> onPaint = (x, y) -> { };
    private Runnable onStrokeStart = () -> { };
    private double panX;
    private double panY;
    private double dragX;
    private double dragY;

    public ImageCanvas() {
        getStyleClass().add("image-canvas");
        view.setPreserveRatio(true);
        overlay.setPreserveRatio(false);
        overlay.setMouseTransparent(true);
        getChildren().addAll(view, overlay);
        painting.addListener((o, a, b) -> setCursor(b ? javafx.scene.Cursor.CROSSHAIR : javafx.scene.Cursor.DEFAULT));
        Rectangle clip = new Rectangle();
        clip.widthProperty().bind(widthProperty());
        clip.heightProperty().bind(heightProperty());
        setClip(clip);
        image.addListener((o, a, b) -> {
            view.setImage(b == null ? null : toFx(b));
            if (a == null || b == null || a.width() != b.width() || a.height() != b.height()) {
                panX = 0;
                panY = 0;
            }
            requestLayout();
        });
        fit.addListener((o, a, b) -> {
            panX = 0;
            panY = 0;
            requestLayout();
        });
        zoom.addListener((o, a, b) -> requestLayout());
        setOnScroll(e -> {
            if (view.getImage() == null) {
                return;
            }
            double current = currentScale();
            double next = Math.max(0.05, Math.min(64, current * Math.pow(1.1, e.getDeltaY() / 40.0)));
            // keep the point under the pointer where it is
            double cx = e.getX() - getWidth() / 2 - panX;
            double cy = e.getY() - getHeight() / 2 - panY;
            panX -= cx * (next / current - 1);
            panY -= cy * (next / current - 1);
            fit.set(false);
            zoom.set(next);
            requestLayout();
            e.consume();
        });
        setOnMousePressed(e -> {
            dragX = e.getX() - panX;
            dragY = e.getY() - panY;
            if (painting.get() && view.getImage() != null && e.getButton() == MouseButton.PRIMARY) {
                onStrokeStart.run();
            }
            paintAt(e);
        });
        setOnMouseDragged(e -> {
            if (paintAt(e)) {
                return;
            }
            if (!fit.get()) {
                panX = e.getX() - dragX;
                panY = e.getY() - dragY;
                requestLayout();
            }
        });
        setOnMouseClicked(e -> {
            if (e.getButton() == MouseButton.PRIMARY && e.getClickCount() == 2) {
                if (fit.get()) {
                    actualSize();
                } else {
                    fit.set(true);
                }
            }
        });
    }

    public void setOnPaint(java.util.function.BiConsumer<Double, Double> p) {
        onPaint = p;
    }

    /** Called when a paint stroke starts (the primary button pressed while painting), before its first dab. */
    public void setOnStrokeStart(Runnable r) {
        onStrokeStart = r;
    }

    /** The overlay image (null: none), stretched over the displayed image. */
    public void setOverlay(Image img) {
        overlay.setImage(img);
        requestLayout();
    }

    private boolean paintAt(javafx.scene.input.MouseEvent e) {
        Image img = view.getImage();
        if (!painting.get() || img == null || e.getButton() != MouseButton.PRIMARY) {
            return false;
        }
        double s = currentScale();
        double ox = (getWidth() - img.getWidth() * s) / 2 + panX;
        double oy = (getHeight() - img.getHeight() * s) / 2 + panY;
        onPaint.accept((e.getX() - ox) / s, (e.getY() - oy) / s);
        e.consume();
        return true;
    }

    public void actualSize() {
        zoom.set(1);
        fit.set(false);
        panX = 0;
        panY = 0;
        requestLayout();
    }

    /** The scale the image is drawn at now (fit: as large as the canvas allows, small images enlarged). */
    public double currentScale() {
        Image img = view.getImage();
        if (img == null) {
            return 1;
        }
        if (fit.get()) {
            double pad = 24;
            return Math.max(0.01, Math.min((getWidth() - pad) / img.getWidth(), (getHeight() - pad) / img.getHeight()));
        }
        return zoom.get();
    }

    @Override
    protected void layoutChildren() {
        Image img = view.getImage();
        if (img == null) {
            return;
        }
        double s = currentScale();
        double w = img.getWidth() * s;
        double h = img.getHeight() * s;
        // enlarged small images stay crisp (each latent pixel visible), reduced ones are smoothed
        view.setSmooth(s < 1);
        view.setFitWidth(w);
        view.setFitHeight(h);
        view.resizeRelocate((getWidth() - w) / 2 + panX, (getHeight() - h) / 2 + panY, w, h);
        overlay.setFitWidth(w);
        overlay.setFitHeight(h);
        overlay.setSmooth(false);
        overlay.resizeRelocate((getWidth() - w) / 2 + panX, (getHeight() - h) / 2 + panY, w, h);
    }

    public static WritableImage toFx(RgbImage img) {
        WritableImage out = new WritableImage(img.width(), img.height());
        out.getPixelWriter().setPixels(0, 0, img.width(), img.height(), PixelFormat.getIntArgbInstance(),
                img.toArgb(), 0, img.width());
        return out;
    }
}
