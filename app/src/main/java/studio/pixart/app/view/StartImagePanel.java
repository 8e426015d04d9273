package studio.pixart.app.view;

import java.io.File;
import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.vm.StartImageViewModel;
import studio.pixart.app.vm.StudioViewModel;

/**
 * The start image section of the left panel: where the image comes from (canvas, history, file,
 * or dropped here), the strength, and inpainting with its brush, eraser and size.
 */
final class StartImagePanel {
    private final StudioViewModel vm;
    private final java.util.function.Supplier<Window> owner;

    StartImagePanel(StudioViewModel vm, java.util.function.Supplier<Window> owner) {
        this.vm = vm;
        this.owner = owner;
    }

    Node build() {
        StartImageViewModel s = vm.startImage;
        ImageView thumb = new ImageView();
        thumb.setFitWidth(64);
        thumb.setFitHeight(64);
        thumb.setPreserveRatio(true);
        thumb.visibleProperty().bind(s.image.isNotNull());
        thumb.managedProperty().bind(s.image.isNotNull());
        thumb.imageProperty().bind(Bindings.createObjectBinding(() -> s.image.get() == null ? null : ImageCanvas.toFx(s.image.get()), s.image));
        Label source = new Label();
        source.setId("startSource");
        source.getStyleClass().addAll("hint", "elastic");
        source.setMinWidth(0);
        source.textProperty().bind(Bindings.createStringBinding(() -> s.image.get() == null
                ? "None: text to image. Drop an image here." : s.source.get(), s.image, s.source));
        Tooltip tip = new Tooltip();
        tip.textProperty().bind(source.textProperty());
        source.setTooltip(tip);
        source.setWrapText(false);

        Button fromCanvas = small("startFromCanvas", "Canvas", "Start from the image on the canvas", () -> s.use(vm.canvas.image.get(), "the canvas image"));
        fromCanvas.disableProperty().bind(Bindings.createBooleanBinding(() -> !vm.canvas.canExport(), vm.canvas.image, vm.canvas.imageIsPreview));
        Button fromHistory = small("startFromHistory", "History", "Start from the image selected in the history", () -> {
            HistoryEntry e = vm.history.selected.get();
            if (e != null) {
                s.useHistory(e, vm.history);
            }
        });
        fromHistory.disableProperty().bind(vm.history.selected.isNull());
        Button fromFile = small("startFromFile", "File\u2026", "Start from an image file", () -> {
            FileChooser c = new FileChooser();
            c.setTitle("Start from an image");
            c.getExtensionFilters().setAll(new FileChooser.ExtensionFilter("Images", "*.png", "*.jpg", "*.jpeg", "*.bmp"));
            File f = c.showOpenDialog(owner.get());
            if (f != null) {
                s.useFile(f.toPath());
            }
        });
        Button clear = small("startClear", "\u2715", "Back to text to image", s::clear);
        clear.getStyleClass().add("icon-button");
        clear.disableProperty().bind(s.image.isNull());
        FlowPane sources = new FlowPane(6, 6, fromCanvas, fromHistory, fromFile, clear);

        VBox right = new VBox(6, source, sources);
        right.setMinWidth(0);
        HBox.setHgrow(right, Priority.ALWAYS);
        HBox head = new HBox(10, thumb, right);
        head.setAlignment(Pos.CENTER_LEFT);

        Slider strength = new Slider(0, 1, s.strength.get());
        strength.setId("strengthSlider");
        strength.valueProperty().bindBidirectional(s.strength);
        strength.setBlockIncrement(0.05);
        HBox.setHgrow(strength, Priority.ALWAYS);
        Label strengthValue = new Label();
        strengthValue.setMinWidth(Region.USE_PREF_SIZE);
        strengthValue.textProperty().bind(Bindings.format(java.util.Locale.ROOT, "%.2f", s.strength));
        HBox strengthRow = new HBox(8, ViewSupport.fieldLabel("Strength"), strength, strengthValue);
        strengthRow.setAlignment(Pos.CENTER_LEFT);
        ((Label) strengthRow.getChildren().get(0)).setMinWidth(Region.USE_PREF_SIZE);

        CheckBox inpaint = new CheckBox("Inpaint: repaint only what I paint on the canvas");
        inpaint.setId("inpaintCheck");
        inpaint.setWrapText(true);
        inpaint.setMinHeight(Region.USE_PREF_SIZE);
        inpaint.selectedProperty().bindBidirectional(s.inpaint);

        ToggleGroup tools = new ToggleGroup();
        ToggleButton brush = tool("brushTool", "Brush", StartImageViewModel.Tool.BRUSH, tools);
        ToggleButton eraser = tool("eraserTool", "Eraser", StartImageViewModel.Tool.ERASER, tools);
        tools.selectToggle(brush);
        tools.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null) {
                tools.selectToggle(a);
            } else {
                s.tool.set((StartImageViewModel.Tool) b.getUserData());
            }
        });
        Slider size = new Slider(1, 256, s.brushSize.get());
        size.setId("brushSize");
        size.valueProperty().bindBidirectional(s.brushSize);
        HBox.setHgrow(size, Priority.ALWAYS);
        Label sizeValue = new Label();
        sizeValue.setMinWidth(Region.USE_PREF_SIZE);
        sizeValue.textProperty().bind(Bindings.format("%.0f px", s.brushSize));
        Button clearMask = small("clearMask", "Clear", "Clear the mask", s::clearMask);
        Button invert = small("invertMask", "Invert", "Repaint everything except what is painted", s::invertMask);
        Button undoMask = small("undoMask", "Undo", "Undo the last stroke, Clear or Invert (Ctrl+Z)", s::undoMask);
        undoMask.disableProperty().bind(s.canUndoMask.not());
        FlowPane toolRow = new FlowPane(6, 6, brush, eraser, undoMask, clearMask, invert);
        HBox sizeRow = new HBox(8, ViewSupport.fieldLabel("Brush"), size, sizeValue);
        ((Label) sizeRow.getChildren().get(0)).setMinWidth(Region.USE_PREF_SIZE);
        sizeRow.setAlignment(Pos.CENTER_LEFT);
        Label coverage = new Label();
        coverage.getStyleClass().add("hint");
        coverage.textProperty().bind(Bindings.createStringBinding(() -> String.format(java.util.Locale.ROOT,
                "%.0f %% of the image will be repainted", s.maskCoverage.get() * 100), s.maskCoverage));
        VBox maskBox = new VBox(6, toolRow, sizeRow, coverage);
        maskBox.visibleProperty().bind(s.inpaint);
        maskBox.managedProperty().bind(s.inpaint);

        VBox details = new VBox(8, strengthRow, inpaint, maskBox);
        details.visibleProperty().bind(s.image.isNotNull());
        details.managedProperty().bind(s.image.isNotNull());

        VBox box = new VBox(8, head, details);
        box.setId("startImagePanel");
        box.getStyleClass().add("start-image");
        box.setOnDragOver(e -> {
            if (e.getDragboard().hasFiles()) {
                e.acceptTransferModes(TransferMode.COPY);
                e.consume();
            }
        });
        box.setOnDragDropped(e -> {
            List<File> files = e.getDragboard().getFiles();
            boolean ok = files != null && !files.isEmpty();
            if (ok) {
                s.useFile(files.get(0).toPath());
            }
            e.setDropCompleted(ok);
            e.consume();
        });
        return box;
    }

    private static Button small(String id, String text, String tip, Runnable action) {
        Button b = new Button(text);
        b.setId(id);
        b.setTooltip(new Tooltip(tip));
        b.setMinWidth(Region.USE_PREF_SIZE);
        b.setOnAction(e -> action.run());
        return b;
    }

    private static ToggleButton tool(String id, String text, StartImageViewModel.Tool t, ToggleGroup g) {
        ToggleButton b = new ToggleButton(text);
        b.setId(id);
        b.setUserData(t);
        b.setToggleGroup(g);
        b.getStyleClass().add("size-class");
        b.setMinWidth(Region.USE_PREF_SIZE);
        return b;
    }
}
