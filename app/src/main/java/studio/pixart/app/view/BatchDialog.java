package studio.pixart.app.view;

import javafx.scene.control.ButtonBar;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.TextArea;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.Window;
import studio.pixart.app.vm.StudioViewModel;

/** A batch of prompts, one per line, queued as one group with the form's other settings. */
final class BatchDialog {
    private BatchDialog() {}

    static Dialog<ButtonType> show(Window owner, StudioViewModel vm) {
        Dialog<ButtonType> d = new Dialog<>();
        d.initOwner(owner);
        d.setTitle("Batch of prompts");
        d.setHeaderText("One prompt per line: each becomes a queued job with the form's other settings.");
        Themes.style(d.getDialogPane(), owner);
        TextArea lines = new TextArea(vm.prompt.text.get());
        lines.setId("batchPrompts");
        lines.setPrefRowCount(10);
        lines.setPrefColumnCount(50);
        lines.setWrapText(false);
        Label count = new Label();
        count.getStyleClass().add("hint");
        count.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(() -> {
            long n = lines.getText().lines().filter(l -> !l.isBlank()).count();
            return n == 1 ? "1 prompt" : n + " prompts";
        }, lines.textProperty()));
        count.setMinWidth(Region.USE_PREF_SIZE);
        d.getDialogPane().setContent(new VBox(8, lines, count));
        ButtonType queue = new ButtonType("Queue", ButtonBar.ButtonData.OK_DONE);
        d.getDialogPane().getButtonTypes().addAll(queue, ButtonType.CANCEL);
        d.getDialogPane().lookupButton(queue).setId("batchQueue");
        d.setResultConverter(bt -> bt);
        d.setOnHidden(e -> {
            if (d.getResult() == queue) {
                vm.job.generateBatch(lines.getText());
            }
        });
        d.show();
        return d;
    }
}
