package studio.pixart.app.view;

import java.io.File;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonBar;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.stage.DirectoryChooser;
import javafx.stage.Window;
import studio.pixart.app.vm.PreferencesViewModel;

/** Preferences (Ctrl+,): output folder and file names, cancelled runs, device, precision, memory, theme, history. */
final class PreferencesDialog {
    private PreferencesDialog() {}

    static Dialog<ButtonType> show(Window owner, PreferencesViewModel p) {
        Dialog<ButtonType> d = new Dialog<>();
        d.initOwner(owner);
        d.setTitle("Preferences");
        d.setHeaderText("Preferences");
        Themes.style(d.getDialogPane(), owner);

        TextField output = new TextField();
        output.setId("prefOutputFolder");
        output.setPromptText(p.current().withOutputFolder("").outputPath().toString());
        output.textProperty().bindBidirectional(p.outputFolder);
        TextField pattern = new TextField();
        pattern.setId("prefFileNamePattern");
        pattern.textProperty().bindBidirectional(p.fileNamePattern);
        Label example = new Label();
        example.getStyleClass().add("hint");
        example.textProperty().bind(javafx.beans.binding.Bindings.concat("e.g. ", p.fileNameExample,
                "   \u00b7   {seed} {date} {time} {prompt} {model} {steps} {sampler} {width} {height}"));
        example.setWrapText(true);
        example.setMinHeight(Region.USE_PREF_SIZE);
        CheckBox keep = new CheckBox("Keep cancelled runs in the history (with their last preview)");
        keep.setId("prefKeepCancelled");
        keep.setWrapText(true);
        keep.selectedProperty().bindBidirectional(p.keepCancelled);
        ComboBox<String> device = combo("prefDevice", p.devices, p.device);
        ComboBox<String> precision = combo("prefPrecision", javafx.collections.FXCollections.observableArrayList(p.precisions), p.precision);
        ComboBox<String> memory = combo("prefMemory", javafx.collections.FXCollections.observableArrayList(p.memoryModes), p.memoryMode);
        ComboBox<String> theme = combo("prefTheme", javafx.collections.FXCollections.observableArrayList(p.themes), p.theme);
        TextField history = new TextField();
        history.setId("prefHistoryFolder");
        history.setPromptText("the data folder");
        history.textProperty().bindBidirectional(p.historyFolder);
        Label historyNote = new Label("A new history folder is used from the next start.");
        historyNote.getStyleClass().add("hint");
        historyNote.setWrapText(true);
        historyNote.setMinHeight(Region.USE_PREF_SIZE);

        GridPane g = new GridPane();
        g.setId("preferencesGrid");
        g.setHgap(10);
        g.setVgap(8);
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints fields = new ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        fields.setPrefWidth(380);
        g.getColumnConstraints().addAll(labels, fields);
        int r = 0;
        g.addRow(r++, ViewSupport.fieldLabel("Output folder"), withBrowse(output, d));
        g.addRow(r++, ViewSupport.fieldLabel("File names"), pattern);
        g.add(example, 1, r++);
        g.add(keep, 1, r++);
        g.addRow(r++, ViewSupport.fieldLabel("Device"), device);
        g.addRow(r++, ViewSupport.fieldLabel("Precision"), precision);
        g.addRow(r++, ViewSupport.fieldLabel("Memory"), memory);
        g.addRow(r++, ViewSupport.fieldLabel("Theme"), theme);
        g.addRow(r++, ViewSupport.fieldLabel("History folder"), withBrowse(history, d));
        g.add(historyNote, 1, r++);
        Label error = new Label();
        error.getStyleClass().add("error-text");
        g.add(error, 1, r);
        d.getDialogPane().setContent(g);
        ButtonType save = new ButtonType("Save", ButtonBar.ButtonData.OK_DONE);
        d.getDialogPane().getButtonTypes().addAll(save, ButtonType.CANCEL);
        Button saveButton = (Button) d.getDialogPane().lookupButton(save);
        saveButton.setId("prefSave");
        saveButton.addEventFilter(javafx.event.ActionEvent.ACTION, e -> {
            String problem = p.problem();
            if (problem != null) {
                error.setText(problem);
                e.consume();
            }
        });
        d.setResultConverter(bt -> bt);
        d.setOnHidden(e -> {
            if (d.getResult() == save) {
                p.save();
            } else {
                p.revert();
            }
        });
        d.show();
        return d;
    }

    private static ComboBox<String> combo(String id, javafx.collections.ObservableList<String> items,
                                          javafx.beans.property.StringProperty value) {
        ComboBox<String> c = new ComboBox<>(items);
        c.setId(id);
        c.valueProperty().bindBidirectional(value);
        c.setMinWidth(Region.USE_PREF_SIZE);
        return c;
    }

    private static HBox withBrowse(TextField field, Dialog<?> d) {
        Button browse = new Button("Choose\u2026");
        browse.setMinWidth(Region.USE_PREF_SIZE);
        browse.setOnAction(e -> {
            DirectoryChooser c = new DirectoryChooser();
            File cur = new File(field.getText().isBlank() ? System.getProperty("user.home") : field.getText());
            if (cur.isDirectory()) {
                c.setInitialDirectory(cur);
            }
            File f = c.showDialog(d.getDialogPane().getScene().getWindow());
            if (f != null) {
                field.setText(f.getAbsolutePath());
            }
        });
        HBox.setHgrow(field, Priority.ALWAYS);
        return new HBox(6, field, browse);
    }
}
