package studio.pixart.app.view;

import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.TextFormatter;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import studio.pixart.app.model.SizeClass;
import studio.pixart.app.settings.Sampler;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;
import static studio.pixart.app.view.ViewSupport.fieldLabel;
import static studio.pixart.app.view.ViewSupport.pseudo;
import static studio.pixart.app.view.ViewSupport.sectionTitle;
import static studio.pixart.app.view.ViewSupport.spacer;

/** The left panel: prompt with token count, negative prompt, aspect ratio, size, settings and Generate. */
final class PromptPanel {
    private final StudioViewModel vm;
    final TextArea promptArea = new TextArea();

    private final java.util.function.Supplier<javafx.stage.Window> owner;

    PromptPanel(StudioViewModel vm, java.util.function.Supplier<javafx.stage.Window> owner) {
        this.vm = vm;
        this.owner = owner;
    }

    Node build() {
        promptArea.setId("promptArea");
        promptArea.setPromptText("Describe the image\u2026  (Ctrl+Enter to generate)");
        promptArea.setWrapText(true);
        promptArea.setPrefRowCount(5);
        promptArea.textProperty().bindBidirectional(vm.prompt.text);

        Label tokens = new Label();
        tokens.setId("tokenCounter");
        tokens.getStyleClass().add("token-counter");
        tokens.textProperty().bind(vm.prompt.tokenLabel);
        vm.prompt.tokenOver.addListener((o, a, b) -> pseudo(tokens, "over", b));
        Label overflow = new Label();
        overflow.setId("tokenOverflow");
        overflow.getStyleClass().add("token-overflow");
        overflow.setWrapText(true);
        overflow.textProperty().bind(vm.prompt.tokenOverflow);
        overflow.visibleProperty().bind(vm.prompt.tokenOver);
        overflow.managedProperty().bind(vm.prompt.tokenOver);
        HBox promptHeader = new HBox(sectionTitle("Prompt"), spacer(), tokens);
        promptHeader.setAlignment(Pos.BASELINE_LEFT);

        TextArea negative = new TextArea();
        negative.setId("negativeArea");
        negative.setPromptText("What to avoid (optional)");
        negative.setWrapText(true);
        negative.setPrefRowCount(2);
        negative.textProperty().bindBidirectional(vm.prompt.negative);

        AspectRatioPicker picker = new AspectRatioPicker(vm.size.aspectRatios, vm.size.aspect);

        HBox sizeButtons = new HBox(6);
        sizeButtons.getStyleClass().add("size-classes");
        ToggleGroup sizeGroup = new ToggleGroup();
        Runnable fillSizes = () -> {
            sizeButtons.getChildren().clear();
            sizeGroup.getToggles().clear();
            for (SizeClass c : vm.size.sizeClasses) {
                ToggleButton b = new ToggleButton(c.label());
                b.setId("size-" + c.label());
                b.getStyleClass().add("size-class");
                b.setUserData(c);
                b.setToggleGroup(sizeGroup);
                b.setSelected(c.equals(vm.size.sizeClass.get()));
                sizeButtons.getChildren().add(b);
            }
        };
        vm.size.sizeClasses.addListener((javafx.collections.ListChangeListener<SizeClass>) c -> fillSizes.run());
        fillSizes.run();
        sizeGroup.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null && a != null && sizeGroup.getToggles().contains(a)) {
                sizeGroup.selectToggle(a);
            } else if (b != null) {
                vm.size.sizeClass.set((SizeClass) b.getUserData());
            }
        });
        vm.size.sizeClass.addListener((o, a, b) -> sizeGroup.getToggles().stream()
                .filter(t -> t.getUserData().equals(b)).findFirst().ifPresent(sizeGroup::selectToggle));
        Label sizeLabel = new Label();
        sizeLabel.setId("sizeLabel");
        sizeLabel.getStyleClass().add("size-label");
        sizeLabel.textProperty().bind(vm.size.sizeLabel);
        sizeLabel.setWrapText(true);
        Label estimate = new Label();
        estimate.setId("timeEstimate");
        estimate.getStyleClass().add("size-label");
        estimate.textProperty().bind(vm.estimate.text);
        estimate.setWrapText(true);
        CheckBox binning = new CheckBox("Snap to the model's size bins");
        binning.setId("binningCheck");
        // shows what the request will do: unticked and disabled when the model has no bin table
        Runnable showBinning = () -> binning.setSelected(vm.size.binning.get() && vm.size.binningAvailable.get());
        vm.size.binning.addListener((o, a, b) -> showBinning.run());
        vm.size.binningAvailable.addListener((o, a, b) -> showBinning.run());
        showBinning.run();
        binning.setOnAction(e -> vm.size.binning.set(binning.isSelected()));
        binning.disableProperty().bind(vm.size.binningAvailable.not());
        binning.setTooltip(new javafx.scene.control.Tooltip(
                "PixArt generates best at its trained sizes: the image is generated at the closest bin and then "
                        + "resized and cropped to the size you asked for. Off: generated at the size itself."));

        VBox box = new VBox(8,
                promptHeader, promptArea, overflow,
                sectionTitle("Negative prompt"), negative,
                sectionTitle("Aspect ratio"), picker,
                sectionTitle("Size"), sizeButtons, sizeLabel, estimate, binning,
                sectionTitle("Start image"), new StartImagePanel(vm, owner).build(),
                sectionTitle("Settings"), settingsGrid());
        box.getStyleClass().add("sidebar-content");
        VBox.setVgrow(promptArea, Priority.SOMETIMES);

        Button generate = new Button("Generate");
        generate.setId("generateButton");
        generate.getStyleClass().add("generate-button");
        generate.setMaxWidth(Double.MAX_VALUE);
        // while a job runs, Generate queues the next one
        generate.textProperty().bind(Bindings.when(vm.job.running).then("Add to queue").otherwise("Generate"));
        generate.setOnAction(e -> vm.job.generate());
        generate.setTooltip(new Tooltip("Ctrl+Enter"));
        Label hint = new Label("Ctrl+Enter");
        hint.getStyleClass().add("hint");
        VBox footer = new VBox(4, generate, hint);
        footer.setAlignment(Pos.CENTER);
        footer.getStyleClass().add("sidebar-footer");

        ScrollPane scroll = new ScrollPane(box);
        scroll.setFitToWidth(true);
        scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        scroll.getStyleClass().add("sidebar-scroll");
        VBox.setVgrow(scroll, Priority.ALWAYS);
        VBox side = new VBox(scroll, footer);
        side.getStyleClass().add("sidebar");
        side.setMinWidth(300);
        return side;
    }

    private GridPane settingsGrid() {
        GridPane g = new GridPane();
        g.getStyleClass().add("settings-grid");
        g.setHgap(10);
        g.setVgap(8);

        Spinner<Integer> steps = NumberSpinners.integer("stepsSpinner", 1, 200, vm.form.steps);
        Spinner<Double> cfg = NumberSpinners.decimal("guidanceSpinner", 0, 20, 0.5, vm.form.guidance);

        ComboBox<Sampler> sampler = new ComboBox<>();
        sampler.getItems().setAll(Sampler.values());
        sampler.setId("samplerBox");
        sampler.valueProperty().bindBidirectional(vm.form.sampler);

        TextField seed = new TextField();
        seed.setId("seedField");
        seed.setTextFormatter(new TextFormatter<>(c -> c.getControlNewText().matches("\\d{0,19}") ? c : null));
        seed.setText(Long.toString(vm.form.seed.get()));
        seed.textProperty().addListener((o, a, b) -> {
            try {
                vm.form.seed.set(b.isEmpty() ? 0 : Long.parseLong(b));
            } catch (NumberFormatException ignored) {
                // the formatter allows only digits; a 19-digit overflow keeps the old seed
            }
        });
        vm.form.seed.addListener((o, a, b) -> {
            if (!seed.getText().equals(b.toString())) {
                seed.setText(b.toString());
            }
        });
        seed.disableProperty().bind(vm.form.randomSeed);
        seed.setPrefColumnCount(9);
        CheckBox random = new CheckBox("Random");
        random.setId("randomSeedBox");
        random.selectedProperty().bindBidirectional(vm.form.randomSeed);
        Button reuse = new Button("\u21ba");
        reuse.setId("reuseSeedButton");
        reuse.getStyleClass().add("icon-button");
        reuse.setTooltip(new Tooltip("Reuse last seed (Ctrl+R)"));
        reuse.disableProperty().bind(vm.form.lastSeed.lessThan(0));
        reuse.setOnAction(e -> vm.form.reuseLastSeed());
        HBox seedRow = new HBox(6, seed, random, reuse);
        seedRow.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(seed, Priority.ALWAYS);

        Spinner<Integer> count = NumberSpinners.integer("imagesSpinner", 1, 8, vm.form.numImages);

        ComboBox<PreviewMode> preview = new ComboBox<>();
        preview.setId("previewBox");
        preview.getItems().setAll(PreviewMode.values());
        preview.valueProperty().bindBidirectional(vm.form.previewMode);
        preview.setConverter(new javafx.util.StringConverter<>() {
            public String toString(PreviewMode m) {
                return m == null ? "" : switch (m) {
                    case NONE -> "None";
                    case FAST -> "Fast (approximate)";
                    case VAE -> "Full VAE decode";
                    case BOTH -> "Fast + VAE";
                };
            }

            public PreviewMode fromString(String s) {
                return PreviewMode.FAST;
            }
        });

        javafx.scene.layout.ColumnConstraints labels = new javafx.scene.layout.ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        g.getColumnConstraints().add(labels);
        random.setMinWidth(Region.USE_PREF_SIZE);
        int r = 0;
        for (Node[] row : new Node[][] {
                {fieldLabel("Steps"), steps}, {fieldLabel("Guidance"), cfg}, {fieldLabel("Sampler"), sampler},
                {fieldLabel("Seed"), seedRow}, {fieldLabel("Images"), count}, {fieldLabel("Preview"), preview},
                {fieldLabel("LoRA"), new LoraListView(vm.form.loras)}}) {
            g.addRow(r++, row);
            if (row[1] instanceof Region reg) {
                reg.setMaxWidth(Double.MAX_VALUE);
                GridPane.setHgrow(reg, Priority.ALWAYS);
            }
        }
        return g;
    }

}
