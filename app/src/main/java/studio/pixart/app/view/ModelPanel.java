package studio.pixart.app.view;

import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.vm.StudioViewModel;
import static studio.pixart.app.view.ViewSupport.pseudo;
import static studio.pixart.app.view.ViewSupport.sectionTitle;

/** The model panel: the model field (recent and cached models), what the model is, and why it cannot be used. */
final class ModelPanel {
    private final StudioViewModel vm;
    private final Runnable chooseFolder;

    ModelPanel(StudioViewModel vm, Runnable chooseFolder) {
        this.vm = vm;
        this.chooseFolder = chooseFolder;
    }

    Node build() {
        ComboBox<String> spec = new ComboBox<>(vm.model.choices);
        spec.setPlaceholder(new Label("No recent models yet: open a pipeline folder or type a hub id."));
        spec.setId("modelSpec");
        spec.setEditable(true);
        spec.setPromptText("Folder or hub id, e.g. PixArt-alpha/PixArt-Sigma-XL-2-1024-MS");
        spec.setMaxWidth(Double.MAX_VALUE);
        vm.model.spec.addListener((o, a, b) -> {
            if (!b.equals(spec.getEditor().getText())) {
                spec.getEditor().setText(b);
            }
        });
        spec.setOnAction(e -> {
            String v = spec.getEditor().getText();
            if (v != null && !v.isBlank() && !v.strip().equals(vm.model.spec.get())) {
                vm.model.loadModel(v);
            }
        });
        HBox.setHgrow(spec, Priority.ALWAYS);
        Button browse = new Button("Open\u2026");
        browse.setId("openModelButton");
        browse.setOnAction(e -> chooseFolder.run());
        browse.setMinWidth(Region.USE_PREF_SIZE);
        spec.setMinWidth(0);
        spec.setPrefWidth(120);
        HBox pick = new HBox(6, spec, browse);

        Label modelName = new Label();
        modelName.setId("modelName");
        modelName.getStyleClass().add("model-name");
        Label modelDetails = new Label();
        modelDetails.setId("modelDetails");
        modelDetails.getStyleClass().add("model-details");
        modelDetails.setWrapText(true);
        modelDetails.setMinHeight(Region.USE_PREF_SIZE);
        Label modelMessage = new Label();
        modelMessage.setId("modelMessage");
        modelMessage.getStyleClass().add("model-message");
        modelMessage.setWrapText(true);
        modelMessage.setMinHeight(Region.USE_PREF_SIZE);
        modelMessage.textProperty().bind(vm.model.message);
        Runnable fillModel = () -> {
            ModelInfo m = vm.model.info.get();
            pseudo(modelMessage, "problem", vm.model.problem.get());
            if (m == null) {
                modelName.setText(vm.model.loading.get() ? "Opening\u2026" : "No model");
                modelDetails.setText("");
                return;
            }
            modelName.setText(m.label());
            StringBuilder sb = new StringBuilder();
            sb.append(m.variant()).append(" \u00b7 ").append(m.nativeSize()).append(" px \u00b7 ")
                    .append(m.maxSequenceLength()).append(" tokens\n");
            m.components().forEach((k, v) -> sb.append(String.format(java.util.Locale.ROOT, "%-13s %s%n", k, v)));
            modelDetails.setText(sb.toString().strip());
        };
        vm.model.info.addListener((o, a, b) -> fillModel.run());
        vm.model.loading.addListener((o, a, b) -> fillModel.run());
        vm.model.problem.addListener((o, a, b) -> fillModel.run());
        fillModel.run();
        Label plan = new Label();
        plan.setId("modelPlan");
        plan.getStyleClass().add("model-details");
        plan.setWrapText(true);
        plan.setMinHeight(Region.USE_PREF_SIZE);
        plan.textProperty().bind(vm.model.plan.summary());
        javafx.scene.control.Tooltip planDetails = new javafx.scene.control.Tooltip();
        planDetails.textProperty().bind(vm.model.plan.details());
        plan.setTooltip(planDetails);
        VBox modelBox = new VBox(8, sectionTitle("Model"), pick, modelName, modelDetails, plan, modelMessage);
        modelBox.getStyleClass().add("panel");
        modelBox.setId("modelPanel");

        return modelBox;
    }
}
