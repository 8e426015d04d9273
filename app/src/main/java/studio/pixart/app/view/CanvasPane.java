package studio.pixart.app.view;

import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import javafx.scene.control.ProgressBar;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import studio.pixart.app.vm.ErrorInfo;
import studio.pixart.app.vm.StudioViewModel;

/** The centre: the live canvas with the empty state, the preview badge, the error banner and the progress row. */
final class CanvasPane {
    private final StudioViewModel vm;
    final ImageCanvas canvas = new ImageCanvas();
    private final Runnable openFolder;
    private final Runnable downloadDefault;

    CanvasPane(StudioViewModel vm, Runnable openFolder, Runnable downloadDefault) {
        this.vm = vm;
        this.openFolder = openFolder;
        this.downloadDefault = downloadDefault;
    }

    Node build() {
        // inpainting: while no job runs, the canvas shows the start image with its mask, and the mouse paints
        var painting = vm.startImage.inpaint.and(vm.startImage.image.isNotNull()).and(vm.job.running.not());
        canvas.image.bind(javafx.beans.binding.Bindings.when(painting).then(vm.startImage.image).otherwise(vm.canvas.image));
        canvas.painting.bind(painting);
        canvas.setOnPaint(vm.startImage::paint);
        canvas.setOnStrokeStart(vm.startImage::beginStroke);
        Runnable drawMask = () -> canvas.setOverlay(painting.get() ? maskOverlay() : null);
        vm.startImage.maskVersion.addListener((o, a, b) -> drawMask.run());
        painting.addListener((o, a, b) -> drawMask.run());
        canvas.setId("canvas");

        VBox empty = new VBox(14);
        empty.setId("emptyState");
        empty.getStyleClass().add("empty-state");
        empty.setAlignment(Pos.CENTER);
        Label title = new Label("PixArt Studio");
        title.getStyleClass().add("empty-title");
        Label text = new Label();
        text.getStyleClass().add("empty-text");
        text.setWrapText(true);
        text.setMaxWidth(440);
        text.textProperty().bind(Bindings.createStringBinding(() -> vm.model.info.get() == null
                ? "No model loaded yet. Download one (Model \u2192 Download model\u2026), open a PixArt pipeline folder "
                        + "(Ctrl+O) or pick one from your Hugging Face cache (the model field, top right).\n\n"
                        + "You can already write prompts, browse the history and restore settings from images."
                : "Describe an image on the left and press Ctrl+Enter.", vm.model.info));
        Button download = new Button("Download PixArt-\u03a3 1024");
        download.setId("downloadDefaultButton");
        download.setDefaultButton(false);
        download.setOnAction(e -> downloadDefault.run());
        Button open = new Button("Open a model folder");
        open.setId("emptyOpenFolderButton");
        open.setOnAction(e -> openFolder.run());
        HBox firstStart = new HBox(10, download, open);
        firstStart.setAlignment(Pos.CENTER);
        firstStart.visibleProperty().bind(vm.model.info.isNull());
        firstStart.managedProperty().bind(firstStart.visibleProperty());
        empty.getChildren().addAll(AppIcon.canvas(96), title, text, firstStart);
        empty.visibleProperty().bind(canvas.image.isNull()); // what the canvas shows (the start image while painting)
        // only the first-start buttons take clicks; the rest lets them through to the canvas
        empty.setPickOnBounds(false);
        for (Node n : List.of(empty.getChildren().get(0), title, text)) {
            n.setMouseTransparent(true);
        }

        Label previewBadge = new Label("PREVIEW");
        previewBadge.getStyleClass().add("preview-badge");
        previewBadge.visibleProperty().bind(vm.canvas.imageIsPreview.and(vm.canvas.image.isNotNull()).and(painting.not()));
        StackPane.setAlignment(previewBadge, Pos.TOP_RIGHT);
        StackPane.setMargin(previewBadge, new Insets(12));

        Node banner = errorBanner();
        StackPane.setAlignment(banner, Pos.TOP_CENTER);
        StackPane.setMargin(banner, new Insets(12));

        StackPane stage = new StackPane(canvas, empty, previewBadge, banner);
        stage.getStyleClass().add("canvas-area");
        VBox.setVgrow(stage, Priority.ALWAYS);

        ProgressBar bar = new ProgressBar(0);
        bar.setId("progressBar");
        bar.progressProperty().bind(vm.job.progress);
        bar.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(bar, Priority.ALWAYS);
        Label ptext = new Label();
        ptext.setId("progressLabel");
        ptext.getStyleClass().add("progress-label");
        ptext.textProperty().bind(vm.job.progressText);
        // the bar keeps room to be seen; a long text shortens (in full in its tooltip), buttons never do
        ptext.getStyleClass().add("elastic");
        ptext.setMinWidth(0);
        ptext.setMaxWidth(Double.MAX_VALUE);
        Tooltip ptip = new Tooltip();
        ptip.textProperty().bind(vm.job.progressText);
        ptext.setTooltip(ptip);
        bar.setMinWidth(120);
        bar.setPrefWidth(400);
        Button cancel = new Button("Cancel");
        cancel.setId("cancelButton");
        cancel.getStyleClass().add("cancel-button");
        cancel.disableProperty().bind(vm.job.running.not());
        cancel.setOnAction(e -> vm.job.cancel());
        Button fit = new Button("Fit");
        fit.getStyleClass().add("ghost-button");
        fit.setOnAction(e -> canvas.fit.set(true));
        Button one = new Button("1:1");
        one.getStyleClass().add("ghost-button");
        one.setOnAction(e -> canvas.actualSize());
        for (Button b : new Button[] {cancel, fit, one}) {
            b.setMinWidth(Region.USE_PREF_SIZE);
        }
        // the text on its own line above the bar: a long one never squeezes the bar or the buttons
        HBox controls = new HBox(10, bar, cancel, fit, one);
        controls.setAlignment(Pos.CENTER_LEFT);
        VBox progress = new VBox(6, ptext, controls);
        progress.getStyleClass().add("progress-row");
        return new VBox(stage, progress);
    }

    /** The mask in the accent colour, half transparent, at the start image's size. */
    private javafx.scene.image.WritableImage maskOverlay() {
        var img = vm.startImage.image.get();
        int w = img.width();
        int h = img.height();
        int[] argb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                argb[y * w + x] = vm.startImage.maskAt(x, y) > 0.5f ? 0x99ff4f8b : 0;
            }
        }
        javafx.scene.image.WritableImage out = new javafx.scene.image.WritableImage(w, h);
        out.getPixelWriter().setPixels(0, 0, w, h, javafx.scene.image.PixelFormat.getIntArgbInstance(), argb, 0, w);
        return out;
    }

    private Node errorBanner() {
        Label title = new Label();
        title.getStyleClass().add("error-title");
        Label message = new Label();
        message.setId("errorMessage");
        message.getStyleClass().add("error-message");
        message.setWrapText(true);
        Label advice = new Label();
        advice.getStyleClass().add("error-advice");
        advice.setWrapText(true);
        Button close = new Button("\u2715");
        close.setId("dismissError");
        close.getStyleClass().add("icon-button");
        close.setOnAction(e -> vm.status.dismissError());
        VBox text = new VBox(4, title, message, advice);
        HBox.setHgrow(text, Priority.ALWAYS);
        HBox banner = new HBox(10, text, close);
        banner.setId("errorBanner");
        banner.getStyleClass().add("error-banner");
        banner.setMaxHeight(Region.USE_PREF_SIZE);
        banner.setMaxWidth(640);
        vm.status.error.addListener((o, a, b) -> show(banner, title, message, advice, b));
        show(banner, title, message, advice, vm.status.error.get());
        return banner;
    }

    private static void show(HBox banner, Label title, Label message, Label advice, ErrorInfo e) {
        banner.setVisible(e != null);
        if (e != null) {
            title.setText(e.title());
            message.setText(e.message());
            advice.setText(e.advice() == null ? "" : e.advice());
            advice.setVisible(e.advice() != null && !e.advice().isBlank());
            advice.setManaged(advice.isVisible());
        }
    }

}
