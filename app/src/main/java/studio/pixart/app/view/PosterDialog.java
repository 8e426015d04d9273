package studio.pixart.app.view;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonBar;
import javafx.scene.control.ButtonType;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextField;
import javafx.scene.image.Image;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.app.vm.PosterExportModel;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.poster.ExportPresets;

/**
 * Export poster / wallpaper: preset (grouped by category) or custom size, a preview of the crop the
 * target keeps of the image, format, DPI, strength and destination. Run starts the poster job in
 * the main window (live canvas, progress bar, Cancel). All state lives in {@link PosterExportModel}.
 */
final class PosterDialog {
    private PosterDialog() {}

    static void show(Window owner, StudioViewModel vm, GenerationSettings settings, RgbImage image, String presetId) {
        PosterExportModel m = vm.newPosterExport();
        if (presetId != null) {
            m.presetId.set(presetId);
        }
        Dialog<ButtonType> d = new Dialog<>();
        d.initOwner(owner);
        d.setTitle("Export poster / wallpaper");
        Themes.style(d.getDialogPane(), owner);
        d.setHeaderText("Generated again at high resolution: base image, upscale, refinement at the full size.");

        ComboBox<String> preset = new ComboBox<>();
        preset.setId("posterPreset");
        Map<String, ExportPresets.Preset> byId = new java.util.LinkedHashMap<>();
        m.presetsByCategory().forEach((cat, list) -> list.forEach(p -> byId.put(p.id(), p)));
        preset.getItems().addAll(byId.keySet());
        preset.getItems().add(PosterExportModel.CUSTOM);
        preset.setCellFactory(l -> presetCell(byId));
        preset.setButtonCell(presetCell(byId));
        preset.valueProperty().bindBidirectional(m.presetId);

        // Digits only, like every number field of the studio; a typed size makes the preset "custom".
        IntegerProperty typedWidth = new SimpleIntegerProperty(m.width.get());
        IntegerProperty typedHeight = new SimpleIntegerProperty(m.height.get());
        Spinner<Integer> w = NumberSpinners.integer("posterWidth", 64, 16384, typedWidth);
        Spinner<Integer> h = NumberSpinners.integer("posterHeight", 64, 16384, typedHeight);
        for (Spinner<Integer> sp : List.of(w, h)) {
            sp.setPrefWidth(100);
        }
        m.width.addListener((o, a, b) -> typedWidth.set(b.intValue()));
        m.height.addListener((o, a, b) -> typedHeight.set(b.intValue()));
        typedWidth.addListener((o, a, b) -> {
            if (b.intValue() != m.width.get()) {
                m.setCustomSize(b.intValue(), m.height.get());
            }
        });
        typedHeight.addListener((o, a, b) -> {
            if (b.intValue() != m.height.get()) {
                m.setCustomSize(m.width.get(), b.intValue());
            }
        });

        Spinner<Integer> dpi = NumberSpinners.integer("posterDpi", 36, 1200, m.dpi);
        Spinner<Double> strength = NumberSpinners.decimal("posterStrength", 0.05, 1.0, 0.05, m.strength);
        ComboBox<PosterExportModel.Format> format = new ComboBox<>();
        format.getItems().addAll(PosterExportModel.Format.values());
        format.valueProperty().bindBidirectional(m.format);
        TextField dest = new TextField();
        dest.setId("posterDestination");
        dest.textProperty().bindBidirectional(m.destination);
        dest.setPrefColumnCount(22);
        Button browse = new Button("Choose\u2026");
        browse.setOnAction(e -> {
            FileChooser fc = new FileChooser();
            Path cur = Path.of(m.destination.get());
            if (cur.getParent() != null && cur.getParent().toFile().isDirectory()) {
                fc.setInitialDirectory(cur.getParent().toFile());
            }
            fc.setInitialFileName(cur.getFileName() == null ? "poster.png" : cur.getFileName().toString());
            File f = fc.showSaveDialog(d.getDialogPane().getScene().getWindow());
            if (f != null) {
                m.destination.set(f.getPath());
            }
        });
        Label note = new Label();
        note.getStyleClass().add("hint");
        note.textProperty().bind(m.note);

        Canvas crop = new Canvas(320, 200);
        crop.setId("posterCropPreview");
        Image fx = image == null ? null : ImageCanvas.toFx(image);
        Runnable drawCrop = () -> drawCrop(crop, fx, m);
        m.width.addListener((o, a, b) -> drawCrop.run());
        m.height.addListener((o, a, b) -> drawCrop.run());
        drawCrop.run();
        Label size = new Label();
        size.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(
                () -> m.width.get() + " \u00d7 " + m.height.get() + " px", m.width, m.height));

        Label destinationNote = new Label();
        destinationNote.setId("posterDestinationNote");
        destinationNote.getStyleClass().add("hint");
        destinationNote.setWrapText(true);
        destinationNote.textProperty().bind(m.destinationNote);
        destinationNote.visibleProperty().bind(m.destinationNote.isNotEmpty());
        destinationNote.managedProperty().bind(destinationNote.visibleProperty());
        note.setWrapText(true);
        note.visibleProperty().bind(m.note.isNotEmpty());
        note.managedProperty().bind(note.visibleProperty());

        GridPane g = new GridPane();
        g.setId("posterGrid");
        g.setHgap(8);
        g.setVgap(8);
        javafx.scene.layout.ColumnConstraints labels = new javafx.scene.layout.ColumnConstraints();
        labels.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        javafx.scene.layout.ColumnConstraints fields = new javafx.scene.layout.ColumnConstraints();
        fields.setHgrow(javafx.scene.layout.Priority.ALWAYS);
        g.getColumnConstraints().addAll(labels, fields);
        preset.setMaxWidth(Double.MAX_VALUE);
        size.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        browse.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        javafx.scene.layout.HBox.setHgrow(dest, javafx.scene.layout.Priority.ALWAYS);
        int r = 0;
        g.addRow(r++, ViewSupport.fieldLabel("Preset"), preset);
        HBox sizeRow = new HBox(6, w, new Label("\u00d7"), h, size);
        sizeRow.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        g.addRow(r++, ViewSupport.fieldLabel("Size"), sizeRow);
        g.addRow(r++, ViewSupport.fieldLabel("DPI"), dpi);
        g.add(note, 1, r++);
        g.addRow(r++, ViewSupport.fieldLabel("Strength"), strength);
        g.addRow(r++, ViewSupport.fieldLabel("Format"), format);
        g.addRow(r++, ViewSupport.fieldLabel("Save to"), new HBox(6, dest, browse));
        g.add(destinationNote, 1, r++);
        Label error = new Label();
        error.getStyleClass().add("error-text");
        error.setWrapText(true);
        VBox cropBox = new VBox(4, new Label("Crop of the current image"), crop);
        HBox.setHgrow(g, javafx.scene.layout.Priority.ALWAYS);
        VBox content = new VBox(10, new HBox(14, g, cropBox), error);
        content.setId("posterContent");
        d.getDialogPane().setContent(content);
        d.setResizable(true);
        // a note that appears (a capped print size, a folder to create) makes the dialog taller
        javafx.beans.InvalidationListener refit = o -> javafx.application.Platform.runLater(() -> {
            Window win = d.getDialogPane().getScene() == null ? null : d.getDialogPane().getScene().getWindow();
            if (win != null && win.isShowing()) {
                win.sizeToScene();
            }
        });
        m.note.addListener(refit);
        m.destinationNote.addListener(refit);
        ButtonType run = new ButtonType("Run", ButtonBar.ButtonData.OK_DONE);
        d.getDialogPane().getButtonTypes().addAll(run, ButtonType.CANCEL);
        Button runButton = (Button) d.getDialogPane().lookupButton(run);
        runButton.setId("posterRun");
        runButton.addEventFilter(javafx.event.ActionEvent.ACTION, e -> {
            String problem = m.problem();
            if (problem != null) {
                error.setText(problem);
                e.consume();
            }
        });
        d.setResultConverter(bt -> bt);
        d.setOnHidden(e -> {
            if (d.getResult() == run) {
                vm.job.exportPoster(settings, m.spec());
            }
        });
        d.show();
    }

    private static ListCell<String> presetCell(Map<String, ExportPresets.Preset> byId) {
        return new ListCell<>() {
            @Override
            protected void updateItem(String id, boolean empty) {
                super.updateItem(id, empty);
                ExportPresets.Preset p = id == null ? null : byId.get(id);
                setText(empty || id == null ? null : p == null ? "Custom size"
                        : p.category() + " \u00b7 " + p.name() + " (" + p.width() + "\u00d7" + p.height() + ")");
            }
        };
    }

    /** The image fitted into the canvas, the part outside the crop dimmed, the crop outlined. */
    private static void drawCrop(Canvas c, Image img, PosterExportModel m) {
        GraphicsContext g = c.getGraphicsContext2D();
        g.setFill(Color.web("#1e1f24"));
        g.fillRect(0, 0, c.getWidth(), c.getHeight());
        double iw = img == null ? m.width.get() : img.getWidth();
        double ih = img == null ? m.height.get() : img.getHeight();
        double s = Math.min(c.getWidth() / iw, c.getHeight() / ih);
        double ox = (c.getWidth() - iw * s) / 2;
        double oy = (c.getHeight() - ih * s) / 2;
        if (img != null) {
            g.drawImage(img, ox, oy, iw * s, ih * s);
        }
        PosterExportModel.Crop k = m.crop((int) iw, (int) ih);
        g.setFill(Color.rgb(0, 0, 0, 0.6));
        g.fillRect(ox, oy, iw * s, k.y() * s);
        g.fillRect(ox, oy + (k.y() + k.height()) * s, iw * s, (ih - k.y() - k.height()) * s);
        g.fillRect(ox, oy, k.x() * s, ih * s);
        g.fillRect(ox + (k.x() + k.width()) * s, oy, (iw - k.x() - k.width()) * s, ih * s);
        g.setStroke(Color.web("#7aa2ff"));
        g.setLineWidth(2);
        g.strokeRect(ox + k.x() * s, oy + k.y() * s, k.width() * s, k.height() * s);
    }
}
