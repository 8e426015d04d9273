package studio.pixart.app.view;

import java.io.File;
import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Slider;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import org.controlsfx.control.ToggleSwitch;
import studio.pixart.app.vm.LoraListModel;

/**
 * The LoRA list: one row per LoRA with an on/off switch, its name (the file and any problem in
 * the tooltip), a strength slider and a remove button; "Add LoRA" picks a .safetensors file or a
 * peft adapter folder. The list shows only when it has rows. All state is in {@link LoraListModel}.
 */
public final class LoraListView extends VBox {
    private static final double ROW_HEIGHT = 34;

    public LoraListView(LoraListModel model) {
        getStyleClass().add("lora-list");
        setId("loraList");
        ListView<LoraListModel.Item> list = new ListView<>(model.items);
        list.setId("loraItems");
        // as tall as its rows (at most four, then it scrolls); hidden while empty, so an unused
        // LoRA list costs the form one button row
        list.setFixedCellSize(ROW_HEIGHT);
        list.prefHeightProperty().bind(Bindings.min(4, Bindings.size(model.items)).multiply(ROW_HEIGHT).add(2));
        list.minHeightProperty().bind(list.prefHeightProperty());
        list.visibleProperty().bind(Bindings.isNotEmpty(model.items));
        list.managedProperty().bind(list.visibleProperty());
        list.setCellFactory(v -> new Row(model));

        MenuItem file = new MenuItem("LoRA file (.safetensors)…");
        file.setOnAction(e -> {
            FileChooser c = new FileChooser();
            c.setTitle("Add a LoRA");
            c.getExtensionFilters().setAll(new FileChooser.ExtensionFilter("LoRA (safetensors)", "*.safetensors"));
            File f = c.showOpenDialog(getScene() == null ? null : getScene().getWindow());
            if (f != null) {
                model.add(f.toPath());
            }
        });
        MenuItem folder = new MenuItem("peft adapter folder…");
        folder.setOnAction(e -> {
            File f = new DirectoryChooser().showDialog(getScene() == null ? null : getScene().getWindow());
            if (f != null) {
                model.add(f.toPath());
            }
        });
        MenuButton add = new MenuButton("Add LoRA", null, file, folder);
        add.setId("addLora");
        Label message = new Label();
        message.getStyleClass().add("lora-message");
        message.textProperty().bind(model.message);
        message.setWrapText(true);
        message.visibleProperty().bind(model.message.isNotEmpty());
        message.managedProperty().bind(message.visibleProperty());
        getChildren().addAll(list, new HBox(6, add, message));
        setSpacing(4);
    }

    private static final class Row extends ListCell<LoraListModel.Item> {
        private final LoraListModel model;

        Row(LoraListModel model) {
            this.model = model;
        }

        @Override
        protected void updateItem(LoraListModel.Item item, boolean empty) {
            super.updateItem(item, empty);
            if (empty || item == null) {
                setGraphic(null);
                setText(null);
                return;
            }
            ToggleSwitch on = new ToggleSwitch();
            on.selectedProperty().bindBidirectional(item.enabled);
            Label name = new Label(item.name());
            name.setMinWidth(60);
            name.getStyleClass().add("elastic"); // long file names shorten; the tooltip has the whole path
            name.setTooltip(new Tooltip(item.problem().get().isEmpty() ? item.file() : item.problem().get()));
            if (!item.problem().get().isEmpty()) {
                name.getStyleClass().add("lora-missing");
            }
            Slider strength = new Slider(LoraListModel.MIN_STRENGTH, LoraListModel.MAX_STRENGTH, item.strength.get());
            strength.setBlockIncrement(0.05);
            strength.valueProperty().bindBidirectional(item.strength);
            HBox.setHgrow(strength, Priority.ALWAYS);
            Label value = new Label();
            value.textProperty().bind(Bindings.format("%.2f", item.strength));
            value.setMinWidth(36);
            Button remove = new Button("✕");
            remove.setTooltip(new Tooltip("Remove this LoRA"));
            remove.setOnAction(e -> model.remove(item));
            HBox row = new HBox(6, on, name, strength, value, remove);
            row.setAlignment(Pos.CENTER_LEFT);
            setText(null);
            setGraphic(row);
        }
    }
}
