package studio.pixart.app.view;

import java.io.ByteArrayInputStream;
import java.util.Map;
import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import javafx.stage.Window;
import org.controlsfx.control.GridCell;
import org.controlsfx.control.GridView;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.vm.GalleryViewModel;
import studio.pixart.app.vm.StudioViewModel;

/**
 * The gallery window (Ctrl+G): the history as a grid of thumbnails (ControlsFX GridView) with the
 * same search as the history list and a favourites filter; the selected image large with all its
 * settings and timings; star, reuse, variations, pin and compare, delete.
 */
final class GalleryWindow {
    private static Stage open;

    private GalleryWindow() {}

    static Stage show(Window owner, StudioViewModel vm) {
        if (open != null && open.getOwner() == owner) {
            open.show();
            open.toFront();
            return open;
        }
        GalleryViewModel g = vm.gallery;
        TextField search = new TextField();
        search.setId("gallerySearch");
        search.setPromptText("Search prompts\u2026");
        search.textProperty().bindBidirectional(vm.history.query);
        HBox.setHgrow(search, Priority.ALWAYS);
        ToggleButton stars = new ToggleButton("\u2605 Favourites");
        stars.setId("favouritesOnly");
        stars.setMinWidth(Region.USE_PREF_SIZE);
        stars.selectedProperty().bindBidirectional(vm.history.favouritesOnly);
        Label count = new Label();
        count.getStyleClass().add("hint");
        count.setMinWidth(Region.USE_PREF_SIZE);
        count.textProperty().bind(Bindings.createStringBinding(() -> vm.history.items.size() + " images", vm.history.items));
        HBox top = new HBox(8, search, stars, count);
        top.setAlignment(Pos.CENTER_LEFT);
        top.getStyleClass().add("gallery-toolbar");

        GridView<HistoryEntry> grid = new GridView<>(g.items());
        grid.setId("galleryGrid");
        grid.getStyleClass().add("gallery-grid");
        grid.setCellWidth(132);
        grid.setCellHeight(132);
        grid.setHorizontalCellSpacing(6);
        grid.setVerticalCellSpacing(6);
        grid.setCellFactory(v -> new ThumbCell(g));
        Label empty = new Label();
        empty.getStyleClass().add("hint");
        empty.textProperty().bind(vm.history.emptyText);
        empty.visibleProperty().bind(Bindings.isEmpty(g.items()));
        empty.setMouseTransparent(true);
        StackPane center = new StackPane(grid, empty);

        BorderPane root = new BorderPane(center);
        root.setTop(top);
        root.setRight(details(owner, vm, g));
        root.getStyleClass().addAll("studio", "gallery");
        Scene scene = new Scene(root, 1100, 720);
        // Arrow keys walk the grid (up/down by a row), Home/End, Enter shows the image on the main
        // canvas, Delete deletes it (undo in the history panel); typing in the search field is left alone.
        scene.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            javafx.scene.Node focus = scene.getFocusOwner();
            boolean onButton = focus instanceof javafx.scene.control.ButtonBase;
            if (focus instanceof javafx.scene.control.TextInputControl
                    || (onButton && (e.getCode() == javafx.scene.input.KeyCode.ENTER || e.getCode() == javafx.scene.input.KeyCode.SPACE))) {
                return;
            }
            int perRow = Math.max(1, (int) ((grid.getWidth() - 16) / (grid.getCellWidth() + 2 * grid.getHorizontalCellSpacing())));
            switch (e.getCode()) {
                case LEFT -> g.moveSelection(-1);
                case RIGHT -> g.moveSelection(1);
                case UP -> g.moveSelection(-perRow);
                case DOWN -> g.moveSelection(perRow);
                case HOME -> g.moveSelection(Integer.MIN_VALUE);
                case END -> g.moveSelection(Integer.MAX_VALUE);
                case ENTER -> {
                    if (g.selected.get() != null) {
                        vm.history.show(g.selected.get());
                    }
                }
                case DELETE -> {
                    if (g.selected.get() != null) {
                        vm.history.delete(g.selected.get());
                    }
                }
                default -> {
                    return;
                }
            }
            e.consume();
        });
        scene.getStylesheets().setAll(owner.getScene().getStylesheets());
        owner.getScene().getStylesheets().addListener((javafx.collections.ListChangeListener<String>) c ->
                scene.getStylesheets().setAll(owner.getScene().getStylesheets()));
        Stage stage = new Stage();
        stage.initOwner(owner);
        stage.setTitle("Gallery \u2014 PixArt Studio");
        stage.setScene(scene);
        stage.setMinWidth(760);
        stage.setMinHeight(500);
        var screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        stage.setWidth(Math.min(1100, screen.getWidth()));
        stage.setHeight(Math.min(720, screen.getHeight()));
        stage.setOnHidden(e -> open = null);
        open = stage;
        stage.show();
        return stage;
    }

    private static Region details(Window owner, StudioViewModel vm, GalleryViewModel g) {
        ImageView big = new ImageView();
        big.setId("galleryImage");
        big.setPreserveRatio(true);
        big.setFitWidth(300);
        big.setFitHeight(260);
        big.imageProperty().bind(Bindings.createObjectBinding(
                () -> g.selectedImage.get() == null ? null : ImageCanvas.toFx(g.selectedImage.get()), g.selectedImage));
        StackPane frame = new StackPane(big);
        frame.getStyleClass().add("gallery-frame");
        frame.setMinHeight(260);

        GridPane rows = new GridPane();
        rows.setId("galleryDetails");
        rows.getStyleClass().add("gallery-details");
        rows.setHgap(10);
        rows.setVgap(6);
        ColumnConstraints keys = new ColumnConstraints();
        keys.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints values = new ColumnConstraints();
        values.setHgrow(Priority.ALWAYS);
        rows.getColumnConstraints().addAll(keys, values);
        Runnable fill = () -> {
            rows.getChildren().clear();
            int r = 0;
            for (Map.Entry<String, String> e : g.details) {
                Label k = ViewSupport.fieldLabel(e.getKey());
                Label v = new Label(e.getValue());
                v.setWrapText(true);
                v.setMinHeight(Region.USE_PREF_SIZE);
                rows.addRow(r++, k, v);
            }
        };
        g.details.addListener((javafx.collections.ListChangeListener<Map.Entry<String, String>>) c -> fill.run());
        fill.run();
        Label none = new Label("Select an image.");
        none.getStyleClass().add("hint");
        none.visibleProperty().bind(g.selected.isNull());
        none.managedProperty().bind(none.visibleProperty());

        Button star = button("galleryStar", "\u2606 Favourite", "Mark with a star (the \u2605 filter shows only these)", g::toggleFavourite);
        star.textProperty().bind(Bindings.createStringBinding(() -> g.selected.get() != null && g.selected.get().favourite()
                ? "\u2605 Favourite" : "\u2606 Favourite", g.selected));
        Button reuse = button("galleryReuse", "Reuse", "Put its prompt and settings into the form",
                () -> vm.history.restoreFrom(g.selected.get()));
        Button variations = button("galleryVariations", "Variations", "Four images from the next seeds (queued)",
                () -> vm.job.variations(g.selected.get().settings(), 4));
        Button show = button("galleryShow", "Show", "Show it on the main canvas", () -> vm.history.show(g.selected.get()));
        Button startFrom = button("galleryStartFrom", "Start from", "Use it as the start image (image to image, inpainting)",
                () -> vm.startImage.useHistory(g.selected.get(), vm.history));
        Button pin = button("galleryPin", "Pin to compare", "Keep this image to compare another one with", g::pin);
        Button compare = button("galleryCompare", "Compare", "Side by side with the pinned image",
                () -> CompareWindow.show(pin.getScene().getWindow(), vm, g));
        Button delete = button("galleryDelete", "Delete", "Delete (Undo in the history panel)", () -> vm.history.delete(g.selected.get()));
        delete.getStyleClass().add("danger-button");
        for (Button b : new Button[] {star, reuse, variations, show, startFrom, pin, delete}) {
            b.disableProperty().bind(g.selected.isNull());
        }
        compare.disableProperty().bind(Bindings.createBooleanBinding(() -> g.pinned.get() == null || g.selected.get() == null
                || g.pinned.get().id() == g.selected.get().id(), g.pinned, g.selected));
        javafx.scene.layout.FlowPane actions = new javafx.scene.layout.FlowPane(6, 6, star, reuse, variations, show, startFrom,
                pin, compare, delete);
        Label pinned = new Label();
        pinned.getStyleClass().addAll("hint", "elastic");
        pinned.setMinWidth(0);
        pinned.textProperty().bind(Bindings.createStringBinding(() -> g.pinned.get() == null ? ""
                : "Pinned: seed " + g.pinned.get().settings().seed() + " \u00b7 " + g.pinned.get().settings().prompt(), g.pinned));
        Tooltip pinTip = new Tooltip();
        pinTip.textProperty().bind(pinned.textProperty());
        pinned.setTooltip(pinTip);

        VBox box = new VBox(10, frame, none, rows, actions, pinned);
        box.getStyleClass().add("gallery-side");
        ScrollPane scroll = new ScrollPane(box);
        scroll.setFitToWidth(true);
        scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        scroll.getStyleClass().add("sidebar-scroll");
        scroll.setPrefWidth(360);
        scroll.setMinWidth(320);
        return scroll;
    }

    private static Button button(String id, String text, String tip, Runnable action) {
        Button b = new Button(text);
        b.setId(id);
        b.setTooltip(new Tooltip(tip));
        b.setMinWidth(Region.USE_PREF_SIZE);
        b.setOnAction(e -> action.run());
        return b;
    }

    /** A thumbnail with a star for favourites; a click selects it, a double click shows it on the canvas. */
    private static final class ThumbCell extends GridCell<HistoryEntry> {
        private final ImageView thumb = new ImageView();
        private final Label star = new Label("\u2605");
        private final StackPane box = new StackPane(thumb, star);
        private final GalleryViewModel g;

        ThumbCell(GalleryViewModel g) {
            this.g = g;
            getStyleClass().add("gallery-cell");
            thumb.setFitWidth(124);
            thumb.setFitHeight(124);
            thumb.setPreserveRatio(true);
            star.getStyleClass().add("gallery-star");
            StackPane.setAlignment(star, Pos.TOP_RIGHT);
            setOnMouseClicked(e -> {
                if (getItem() != null) {
                    g.selected.set(getItem());
                }
            });
            g.selected.addListener((o, a, b) -> mark());
        }

        private void mark() {
            HistoryEntry e = getItem();
            ViewSupport.pseudo(this, "selected", e != null && g.selected.get() != null && g.selected.get().id() == e.id());
        }

        @Override
        protected void updateItem(HistoryEntry e, boolean empty) {
            super.updateItem(e, empty);
            if (empty || e == null) {
                setGraphic(null);
                setTooltip(null);
                mark();
                return;
            }
            thumb.setImage(e.thumbnail().length == 0 ? null : new Image(new ByteArrayInputStream(e.thumbnail())));
            star.setVisible(e.favourite());
            setTooltip(new Tooltip(e.settings().prompt() + "\nseed " + e.settings().seed()));
            setGraphic(box);
            mark();
        }
    }
}
