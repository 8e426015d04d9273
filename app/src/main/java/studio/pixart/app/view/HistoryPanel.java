package studio.pixart.app.view;

import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.vm.StudioViewModel;
import static studio.pixart.app.view.ViewSupport.sectionTitle;
import static studio.pixart.app.view.ViewSupport.spacer;

/** The history panel: search, the list of past images, and Reuse / Make 4K / Delete. */
final class HistoryPanel {
    private final StudioViewModel vm;
    private final java.util.function.Supplier<javafx.stage.Window> owner;
    final TextField historySearch = new TextField();

    HistoryPanel(StudioViewModel vm, java.util.function.Supplier<javafx.stage.Window> owner) {
        this.vm = vm;
        this.owner = owner;
    }

    Node build() {
        historySearch.setId("historySearch");
        historySearch.setPromptText("Search prompts\u2026");
        historySearch.textProperty().bindBidirectional(vm.history.query);
        ListView<HistoryEntry> list = new ListView<>(vm.history.items);
        list.setId("historyList");
        list.setCellFactory(l -> new HistoryCell());
        Label empty = new Label();
        empty.setId("historyEmpty");
        empty.setWrapText(true);
        empty.textProperty().bind(vm.history.emptyText);
        list.setPlaceholder(empty);
        list.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.history.show(b);
            }
        });
        list.setOnMouseClicked(e -> {
            HistoryEntry sel = list.getSelectionModel().getSelectedItem();
            if (e.getClickCount() == 2 && sel != null) {
                vm.history.restoreFrom(sel);
            }
        });
        VBox.setVgrow(list, Priority.ALWAYS);
        Button restore = new Button("Reuse");
        restore.setId("reuseSettingsButton");
        restore.setTooltip(new javafx.scene.control.Tooltip("Put this image's prompt and settings back into the form"));
        restore.disableProperty().bind(list.getSelectionModel().selectedItemProperty().isNull());
        restore.setOnAction(e -> vm.history.restoreFrom(list.getSelectionModel().getSelectedItem()));
        Button delete = new Button("Delete");
        delete.setId("deleteHistoryButton");
        delete.getStyleClass().add("danger-button");
        delete.disableProperty().bind(list.getSelectionModel().selectedItemProperty().isNull());
        delete.setOnAction(e -> vm.history.delete(list.getSelectionModel().getSelectedItem()));
        Button make4k = new Button("Make 4K");
        make4k.setId("make4kButton");
        make4k.setTooltip(new javafx.scene.control.Tooltip("Export this image as a 4K wallpaper or a poster (same prompt and seed, refined at full size)"));
        make4k.disableProperty().bind(list.getSelectionModel().selectedItemProperty().isNull());
        make4k.setOnAction(e -> {
            HistoryEntry sel = list.getSelectionModel().getSelectedItem();
            PosterDialog.show(owner.get(), vm, sel.settings(), vm.canvas.image.get(), "wallpaper-4k");
        });
        HBox actions = new HBox(6, restore, make4k, spacer(), delete);
        // never ellipsize the action labels in the narrow panel
        for (Button b : new Button[] {restore, make4k, delete}) {
            b.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        }
        Label count = new Label();
        count.getStyleClass().add("hint");
        count.textProperty().bind(Bindings.createStringBinding(
                () -> vm.history.items.size() == 1 ? "1 image" : vm.history.items.size() + " images", vm.history.items));
        HBox historyHeader = new HBox(sectionTitle("History"), spacer(), count);
        historyHeader.setAlignment(Pos.BASELINE_LEFT);
        VBox historyBox = new VBox(8, historyHeader, historySearch, list, actions, undoBar());
        historyBox.getStyleClass().add("panel");
        VBox.setVgrow(historyBox, Priority.ALWAYS);

        return historyBox;
    }

    /** "Deleted · Undo" for 10 s after a delete; then the deletion is final. */
    private HBox undoBar() {
        Label what = new Label("Image deleted.");
        Button undo = new Button("Undo");
        undo.setId("undoDeleteButton");
        undo.setMinWidth(Region.USE_PREF_SIZE);
        undo.setOnAction(e -> vm.history.undoDelete());
        HBox bar = new HBox(8, what, spacer(), undo);
        bar.setId("undoBar");
        bar.getStyleClass().add("undo-bar");
        bar.setAlignment(Pos.CENTER_LEFT);
        javafx.animation.PauseTransition timeout = new javafx.animation.PauseTransition(javafx.util.Duration.seconds(10));
        timeout.setOnFinished(e -> vm.history.commitDelete());
        vm.history.pendingDelete.addListener((o, a, b) -> {
            bar.setVisible(b != null);
            bar.setManaged(b != null);
            if (b != null) {
                timeout.playFromStart();
            } else {
                timeout.stop();
            }
        });
        bar.setVisible(false);
        bar.setManaged(false);
        return bar;
    }
}
