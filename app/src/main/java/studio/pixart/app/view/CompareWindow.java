package studio.pixart.app.view;

import java.util.Map;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.image.ImageView;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import javafx.stage.Window;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.vm.GalleryViewModel;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.image.RgbImage;

/** Two images side by side (the pinned one and the selected one) with the settings in which they differ. */
final class CompareWindow {
    private CompareWindow() {}

    static Stage show(Window owner, StudioViewModel vm, GalleryViewModel g) {
        HistoryEntry a = g.pinned.get();
        HistoryEntry b = g.selected.get();
        HBox images = new HBox(12, side("A \u00b7 seed " + a.settings().seed(), g.pinnedImage.get()),
                side("B \u00b7 seed " + b.settings().seed(), g.selectedImage.get()));
        images.setAlignment(Pos.CENTER);

        GridPane diff = new GridPane();
        diff.setId("compareDifferences");
        diff.setHgap(14);
        diff.setVgap(6);
        ColumnConstraints k = new ColumnConstraints();
        k.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints va = new ColumnConstraints();
        va.setPercentWidth(42);
        ColumnConstraints vb = new ColumnConstraints();
        vb.setPercentWidth(42);
        diff.getColumnConstraints().addAll(k, va, vb);
        Map<String, String[]> d = GalleryViewModel.differences(a, b);
        int r = 0;
        diff.addRow(r++, ViewSupport.fieldLabel(""), ViewSupport.sectionTitle("A"), ViewSupport.sectionTitle("B"));
        for (Map.Entry<String, String[]> e : d.entrySet()) {
            Label la = new Label(e.getValue()[0]);
            Label lb = new Label(e.getValue()[1]);
            for (Label l : new Label[] {la, lb}) {
                l.setWrapText(true);
                l.setMinHeight(Region.USE_PREF_SIZE);
            }
            diff.addRow(r++, ViewSupport.fieldLabel(e.getKey()), la, lb);
        }
        if (d.isEmpty()) {
            diff.addRow(r, ViewSupport.fieldLabel(""), new Label("Same settings."));
        }
        VBox root = new VBox(14, images, ViewSupport.sectionTitle("Differences"), diff);
        root.getStyleClass().addAll("studio", "compare");
        Scene scene = new Scene(root);
        scene.getStylesheets().setAll(owner.getScene().getStylesheets());
        Stage stage = new Stage();
        stage.initOwner(owner);
        stage.setTitle("Compare \u2014 PixArt Studio");
        stage.setScene(scene);
        stage.show();
        stage.sizeToScene();
        return stage;
    }

    private static VBox side(String title, RgbImage image) {
        ImageView v = new ImageView();
        v.setPreserveRatio(true);
        v.setFitWidth(360);
        v.setFitHeight(360);
        v.setImage(image == null ? null : ImageCanvas.toFx(image));
        Label l = ViewSupport.sectionTitle(title);
        VBox box = new VBox(6, l, v);
        box.getStyleClass().add("gallery-frame");
        HBox.setHgrow(box, Priority.ALWAYS);
        return box;
    }
}
