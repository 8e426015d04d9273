package studio.pixart.app.view;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.TextFormatter;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.SizeClass;
import studio.pixart.app.settings.Sampler;
import studio.pixart.app.vm.ErrorInfo;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;

/**
 * The studio's one window, a thin view over {@link StudioViewModel}: controls bound to its
 * properties, buttons calling its actions. Left: prompt, size and settings; centre: the canvas
 * with progress; right: model and history. Styling lives in assets/css/studio.css.
 */
public final class MainWindow {
    public static final String CSS = "/studio/pixart/app/assets/css/studio.css";
    public static final String SHORTCUTS = """
            Ctrl+Enter     Generate
            Esc            Cancel the running job
            Ctrl+E         Export the image (PNG/JPEG with settings)
            Ctrl+O         Open a model folder
            Ctrl+I         Restore settings from an image file
            Ctrl+R         Reuse the last seed
            Ctrl+F         Search the history
            Ctrl+0 / Ctrl+1  Fit to window / actual size (1:1)
            Mouse wheel, drag, double-click: zoom, pan, toggle fit/1:1""";

    private final StudioViewModel vm;
    private final BorderPane root = new BorderPane();
    private final ImageCanvas canvas = new ImageCanvas();
    private final TextField historySearch = new TextField();
    private final TextArea promptArea = new TextArea();

    public MainWindow(StudioViewModel vm) {
        this.vm = vm;
        root.getStyleClass().add("studio");
        root.setTop(menuBar());
        root.setLeft(sidebar());
        root.setCenter(center());
        root.setRight(rightPanel());
        root.setBottom(statusBar());
        installShortcuts();
        installDrop();
    }

    public Parent root() {
        return root;
    }

    public ImageCanvas canvas() {
        return canvas;
    }

    private Window window() {
        return root.getScene() == null ? null : root.getScene().getWindow();
    }

    // ------------------------------------------------------------------ menu

    private MenuBar menuBar() {
        MenuItem openImage = item("Restore settings from image\u2026", "Ctrl+I", this::chooseImageToRestore);
        MenuItem export = item("Export image\u2026", "Ctrl+E", this::chooseExport);
        export.setId("exportMenu");
        export.disableProperty().bind(Bindings.createBooleanBinding(() -> !vm.canExport(), vm.image, vm.imageIsPreview));
        MenuItem poster = item("Export poster / wallpaper (4K)\u2026", "Ctrl+Shift+E",
                () -> PosterDialog.show(window(), vm, vm.imageSettings.get(), vm.image.get(), null));
        poster.setId("posterMenu");
        poster.disableProperty().bind(Bindings.createBooleanBinding(() -> !vm.canExport() || vm.imageSettings.get() == null
                || vm.running.get(), vm.image, vm.imageIsPreview, vm.imageSettings, vm.running));
        MenuItem quit = item("Quit", "Ctrl+Q", () -> {
            Window w = window();
            if (w != null) {
                w.hide();
            }
        });
        Menu file = new Menu("File", null, openImage, new SeparatorMenuItem(), export, poster, new SeparatorMenuItem(), quit);

        MenuItem openFolder = item("Open model folder\u2026", "Ctrl+O", this::chooseModelFolder);
        Menu cached = new Menu("Hugging Face cache");
        Runnable fillCached = () -> {
            cached.getItems().clear();
            for (String id : vm.cachedModels) {
                MenuItem m = new MenuItem(id);
                m.setOnAction(e -> vm.loadModel(id));
                cached.getItems().add(m);
            }
            if (cached.getItems().isEmpty()) {
                MenuItem none = new MenuItem("(no PixArt models in the cache)");
                none.setDisable(true);
                cached.getItems().add(none);
            }
        };
        vm.cachedModels.addListener((javafx.collections.ListChangeListener<String>) c -> fillCached.run());
        fillCached.run();
        Menu model = new Menu("Model", null, openFolder, cached);

        MenuItem fit = item("Fit to window", "Ctrl+0", () -> canvas.fit.set(true));
        MenuItem actual = item("Actual size (1:1)", "Ctrl+1", canvas::actualSize);
        Menu view = new Menu("View", null, fit, actual);

        MenuItem keys = new MenuItem("Keyboard shortcuts");
        keys.setOnAction(e -> info("Keyboard shortcuts", SHORTCUTS));
        MenuItem about = new MenuItem("About PixArt Studio");
        about.setOnAction(e -> info("PixArt Studio", "Local text-to-image generation with PixArt-\u03a3 and PixArt-\u03b1.\n"
                + "Data folder: " + vm.context().dataDir()));
        Menu help = new Menu("Help", null, keys, about);
        MenuBar bar = new MenuBar(file, model, view, help);
        bar.getStyleClass().add("studio-menu");
        return bar;
    }

    private static MenuItem item(String text, String accel, Runnable action) {
        MenuItem m = new MenuItem(text);
        m.setAccelerator(KeyCombination.keyCombination(accel));
        m.setOnAction(e -> action.run());
        return m;
    }

    private void info(String title, String text) {
        Alert a = new Alert(Alert.AlertType.INFORMATION, text);
        a.setTitle(title);
        a.setHeaderText(title);
        a.initOwner(window());
        a.getDialogPane().getStylesheets().add(getClass().getResource(CSS).toExternalForm());
        a.show();
    }

    // ------------------------------------------------------------------ left: prompt, size, settings

    private Node sidebar() {
        promptArea.setId("promptArea");
        promptArea.setPromptText("Describe the image\u2026  (Ctrl+Enter to generate)");
        promptArea.setWrapText(true);
        promptArea.setPrefRowCount(5);
        promptArea.textProperty().bindBidirectional(vm.prompt);

        Label tokens = new Label();
        tokens.setId("tokenCounter");
        tokens.getStyleClass().add("token-counter");
        tokens.textProperty().bind(vm.tokenLabel);
        vm.tokenOver.addListener((o, a, b) -> pseudo(tokens, "over", b));
        Label overflow = new Label();
        overflow.setId("tokenOverflow");
        overflow.getStyleClass().add("token-overflow");
        overflow.setWrapText(true);
        overflow.textProperty().bind(vm.tokenOverflow);
        overflow.visibleProperty().bind(vm.tokenOver);
        overflow.managedProperty().bind(vm.tokenOver);
        HBox promptHeader = new HBox(sectionTitle("Prompt"), spacer(), tokens);
        promptHeader.setAlignment(Pos.BASELINE_LEFT);

        TextArea negative = new TextArea();
        negative.setId("negativeArea");
        negative.setPromptText("What to avoid (optional)");
        negative.setWrapText(true);
        negative.setPrefRowCount(2);
        negative.textProperty().bindBidirectional(vm.negativePrompt);

        AspectRatioPicker picker = new AspectRatioPicker(vm.aspectRatios, vm.aspect);

        HBox sizeButtons = new HBox(6);
        sizeButtons.getStyleClass().add("size-classes");
        ToggleGroup sizeGroup = new ToggleGroup();
        Runnable fillSizes = () -> {
            sizeButtons.getChildren().clear();
            sizeGroup.getToggles().clear();
            for (SizeClass c : vm.sizeClasses) {
                ToggleButton b = new ToggleButton(c.label());
                b.setId("size-" + c.label());
                b.getStyleClass().add("size-class");
                b.setUserData(c);
                b.setToggleGroup(sizeGroup);
                b.setSelected(c.equals(vm.sizeClass.get()));
                sizeButtons.getChildren().add(b);
            }
        };
        vm.sizeClasses.addListener((javafx.collections.ListChangeListener<SizeClass>) c -> fillSizes.run());
        fillSizes.run();
        sizeGroup.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null && a != null && sizeGroup.getToggles().contains(a)) {
                sizeGroup.selectToggle(a);
            } else if (b != null) {
                vm.sizeClass.set((SizeClass) b.getUserData());
            }
        });
        vm.sizeClass.addListener((o, a, b) -> sizeGroup.getToggles().stream()
                .filter(t -> t.getUserData().equals(b)).findFirst().ifPresent(sizeGroup::selectToggle));
        Label sizeLabel = new Label();
        sizeLabel.setId("sizeLabel");
        sizeLabel.getStyleClass().add("size-label");
        sizeLabel.textProperty().bind(vm.sizeLabel);
        sizeLabel.setWrapText(true);
        CheckBox binning = new CheckBox("Snap to the model's size bins");
        binning.setId("binningCheck");
        // shows what the request will do: unticked and disabled when the model has no bin table
        Runnable showBinning = () -> binning.setSelected(vm.binning.get() && vm.binningAvailable.get());
        vm.binning.addListener((o, a, b) -> showBinning.run());
        vm.binningAvailable.addListener((o, a, b) -> showBinning.run());
        showBinning.run();
        binning.setOnAction(e -> vm.binning.set(binning.isSelected()));
        binning.disableProperty().bind(vm.binningAvailable.not());
        binning.setTooltip(new javafx.scene.control.Tooltip(
                "PixArt generates best at its trained sizes: the image is generated at the closest bin and then "
                        + "resized and cropped to the size you asked for. Off: generated at the size itself."));

        VBox box = new VBox(8,
                promptHeader, promptArea, overflow,
                sectionTitle("Negative prompt"), negative,
                sectionTitle("Aspect ratio"), picker,
                sectionTitle("Size"), sizeButtons, sizeLabel, binning,
                sectionTitle("Settings"), settingsGrid());
        box.getStyleClass().add("sidebar-content");
        VBox.setVgrow(promptArea, Priority.SOMETIMES);

        Button generate = new Button("Generate");
        generate.setId("generateButton");
        generate.getStyleClass().add("generate-button");
        generate.setMaxWidth(Double.MAX_VALUE);
        generate.disableProperty().bind(vm.running);
        generate.setOnAction(e -> vm.generate());
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
        side.setPrefWidth(360);
        side.setMinWidth(300);
        return side;
    }

    private GridPane settingsGrid() {
        GridPane g = new GridPane();
        g.getStyleClass().add("settings-grid");
        g.setHgap(10);
        g.setVgap(8);

        Spinner<Integer> steps = new Spinner<>(1, 200, vm.steps.get());
        steps.setId("stepsSpinner");
        steps.setEditable(true);
        steps.getValueFactory().valueProperty().addListener((o, a, b) -> vm.steps.set(b));
        vm.steps.addListener((o, a, b) -> steps.getValueFactory().setValue(b.intValue()));

        Spinner<Double> cfg = new Spinner<>(new SpinnerValueFactory.DoubleSpinnerValueFactory(0, 20, vm.guidance.get(), 0.5));
        cfg.setId("guidanceSpinner");
        cfg.setEditable(true);
        cfg.getValueFactory().valueProperty().addListener((o, a, b) -> vm.guidance.set(b));
        vm.guidance.addListener((o, a, b) -> cfg.getValueFactory().setValue(b.doubleValue()));

        ComboBox<Sampler> sampler = new ComboBox<>();
        sampler.getItems().setAll(Sampler.values());
        sampler.setId("samplerBox");
        sampler.valueProperty().bindBidirectional(vm.sampler);

        TextField seed = new TextField();
        seed.setId("seedField");
        seed.setTextFormatter(new TextFormatter<>(c -> c.getControlNewText().matches("\\d{0,19}") ? c : null));
        seed.setText(Long.toString(vm.seed.get()));
        seed.textProperty().addListener((o, a, b) -> {
            try {
                vm.seed.set(b.isEmpty() ? 0 : Long.parseLong(b));
            } catch (NumberFormatException ignored) {
                // the formatter allows only digits; a 19-digit overflow keeps the old seed
            }
        });
        vm.seed.addListener((o, a, b) -> {
            if (!seed.getText().equals(b.toString())) {
                seed.setText(b.toString());
            }
        });
        seed.disableProperty().bind(vm.randomSeed);
        seed.setPrefColumnCount(9);
        CheckBox random = new CheckBox("Random");
        random.setId("randomSeedBox");
        random.selectedProperty().bindBidirectional(vm.randomSeed);
        Button reuse = new Button("\u21ba");
        reuse.setId("reuseSeedButton");
        reuse.getStyleClass().add("icon-button");
        reuse.setTooltip(new Tooltip("Reuse last seed (Ctrl+R)"));
        reuse.disableProperty().bind(vm.lastSeed.lessThan(0));
        reuse.setOnAction(e -> vm.reuseLastSeed());
        HBox seedRow = new HBox(6, seed, random, reuse);
        seedRow.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(seed, Priority.ALWAYS);

        Spinner<Integer> count = new Spinner<>(1, 8, vm.numImages.get());
        count.setId("imagesSpinner");
        count.getValueFactory().valueProperty().addListener((o, a, b) -> vm.numImages.set(b));
        vm.numImages.addListener((o, a, b) -> count.getValueFactory().setValue(b.intValue()));

        ComboBox<String> device = new ComboBox<>();
        device.getItems().setAll("auto", "cpu", "cuda");
        device.valueProperty().bindBidirectional(vm.device);
        ComboBox<String> dtype = new ComboBox<>();
        dtype.getItems().setAll("auto", "float32", "float16");
        dtype.valueProperty().bindBidirectional(vm.dtype);

        ComboBox<PreviewMode> preview = new ComboBox<>();
        preview.setId("previewBox");
        preview.getItems().setAll(PreviewMode.values());
        preview.valueProperty().bindBidirectional(vm.previewMode);
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
                {fieldLabel("Seed"), seedRow}, {fieldLabel("Images"), count}, {fieldLabel("Device"), device}, {fieldLabel("Precision"), dtype},
                {fieldLabel("Preview"), preview}}) {
            g.addRow(r++, row);
            if (row[1] instanceof Region reg) {
                reg.setMaxWidth(Double.MAX_VALUE);
                GridPane.setHgrow(reg, Priority.ALWAYS);
            }
        }
        return g;
    }

    // ------------------------------------------------------------------ centre: canvas, progress, errors

    private Node center() {
        canvas.image.bind(vm.image);
        canvas.setId("canvas");

        VBox empty = new VBox(14);
        empty.setId("emptyState");
        empty.getStyleClass().add("empty-state");
        empty.setAlignment(Pos.CENTER);
        Label title = new Label("PixArt Studio");
        title.getStyleClass().add("empty-title");
        Label text = new Label();
        text.getStyleClass().add("empty-text");
        text.setWrapText(true);
        text.setMaxWidth(440);
        text.textProperty().bind(Bindings.createStringBinding(() -> vm.model.get() == null
                ? "No model loaded yet. Open a PixArt pipeline folder (Model \u2192 Open model folder\u2026, Ctrl+O) or pick "
                        + "one from your Hugging Face cache (the model field, top right). The README section \u201cGetting a model\u201d shows how to download one.\n\n"
                        + "You can already write prompts, browse the history and restore settings from images."
                : "Describe an image on the left and press Ctrl+Enter.", vm.model));
        empty.getChildren().addAll(AppIcon.canvas(96), title, text);
        empty.visibleProperty().bind(vm.image.isNull());
        empty.setMouseTransparent(true);

        Label previewBadge = new Label("PREVIEW");
        previewBadge.getStyleClass().add("preview-badge");
        previewBadge.visibleProperty().bind(vm.imageIsPreview.and(vm.image.isNotNull()));
        StackPane.setAlignment(previewBadge, Pos.TOP_RIGHT);
        StackPane.setMargin(previewBadge, new Insets(12));

        Node banner = errorBanner();
        StackPane.setAlignment(banner, Pos.TOP_CENTER);
        StackPane.setMargin(banner, new Insets(12));

        StackPane stage = new StackPane(canvas, empty, previewBadge, banner);
        stage.getStyleClass().add("canvas-area");
        VBox.setVgrow(stage, Priority.ALWAYS);

        ProgressBar bar = new ProgressBar(0);
        bar.setId("progressBar");
        bar.progressProperty().bind(vm.progress);
        bar.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(bar, Priority.ALWAYS);
        Label ptext = new Label();
        ptext.setId("progressLabel");
        ptext.getStyleClass().add("progress-label");
        ptext.textProperty().bind(vm.progressText);
        ptext.setMinWidth(220);
        Button cancel = new Button("Cancel");
        cancel.setId("cancelButton");
        cancel.getStyleClass().add("cancel-button");
        cancel.disableProperty().bind(vm.running.not());
        cancel.setOnAction(e -> vm.cancel());
        Button fit = new Button("Fit");
        fit.getStyleClass().add("ghost-button");
        fit.setOnAction(e -> canvas.fit.set(true));
        Button one = new Button("1:1");
        one.getStyleClass().add("ghost-button");
        one.setOnAction(e -> canvas.actualSize());
        HBox progress = new HBox(10, bar, ptext, cancel, fit, one);
        progress.setAlignment(Pos.CENTER_LEFT);
        progress.getStyleClass().add("progress-row");
        return new VBox(stage, progress);
    }

    private Node errorBanner() {
        Label title = new Label();
        title.getStyleClass().add("error-title");
        Label message = new Label();
        message.setId("errorMessage");
        message.getStyleClass().add("error-message");
        message.setWrapText(true);
        Label advice = new Label();
        advice.getStyleClass().add("error-advice");
        advice.setWrapText(true);
        Button close = new Button("\u2715");
        close.setId("dismissError");
        close.getStyleClass().add("icon-button");
        close.setOnAction(e -> vm.dismissError());
        VBox text = new VBox(4, title, message, advice);
        HBox.setHgrow(text, Priority.ALWAYS);
        HBox banner = new HBox(10, text, close);
        banner.setId("errorBanner");
        banner.getStyleClass().add("error-banner");
        banner.setMaxHeight(Region.USE_PREF_SIZE);
        banner.setMaxWidth(640);
        vm.error.addListener((o, a, b) -> show(banner, title, message, advice, b));
        show(banner, title, message, advice, vm.error.get());
        return banner;
    }

    private static void show(HBox banner, Label title, Label message, Label advice, ErrorInfo e) {
        banner.setVisible(e != null);
        if (e != null) {
            title.setText(e.title());
            message.setText(e.message());
            advice.setText(e.advice() == null ? "" : e.advice());
            advice.setVisible(e.advice() != null && !e.advice().isBlank());
            advice.setManaged(advice.isVisible());
        }
    }

    // ------------------------------------------------------------------ right: model and history

    private Node rightPanel() {
        ComboBox<String> spec = new ComboBox<>(vm.cachedModels);
        spec.setId("modelSpec");
        spec.setEditable(true);
        spec.setPromptText("Folder or hub id, e.g. PixArt-alpha/PixArt-Sigma-XL-2-1024-MS");
        spec.setMaxWidth(Double.MAX_VALUE);
        vm.modelSpec.addListener((o, a, b) -> {
            if (!b.equals(spec.getEditor().getText())) {
                spec.getEditor().setText(b);
            }
        });
        spec.setOnAction(e -> {
            String v = spec.getEditor().getText();
            if (v != null && !v.isBlank() && !v.strip().equals(vm.modelSpec.get())) {
                vm.loadModel(v);
            }
        });
        HBox.setHgrow(spec, Priority.ALWAYS);
        Button browse = new Button("Open\u2026");
        browse.setId("openModelButton");
        browse.setOnAction(e -> chooseModelFolder());
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
        modelMessage.textProperty().bind(vm.modelMessage);
        Runnable fillModel = () -> {
            ModelInfo m = vm.model.get();
            pseudo(modelMessage, "problem", m == null || !m.usable());
            if (m == null) {
                modelName.setText(vm.modelLoading.get() ? "Opening\u2026" : "No model");
                modelDetails.setText("");
                return;
            }
            modelName.setText(m.label());
            StringBuilder sb = new StringBuilder();
            sb.append(m.variant()).append(" \u00b7 ").append(m.nativeSize()).append(" px \u00b7 ")
                    .append(m.maxSequenceLength()).append(" tokens\n");
            m.components().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-13s %s%n", k, v)));
            modelDetails.setText(sb.toString().strip());
        };
        vm.model.addListener((o, a, b) -> fillModel.run());
        vm.modelLoading.addListener((o, a, b) -> fillModel.run());
        fillModel.run();
        VBox modelBox = new VBox(8, sectionTitle("Model"), pick, modelName, modelDetails, modelMessage);
        modelBox.getStyleClass().add("panel");
        modelBox.setId("modelPanel");

        historySearch.setId("historySearch");
        historySearch.setPromptText("Search prompts\u2026");
        historySearch.textProperty().bindBidirectional(vm.historyQuery);
        ListView<HistoryEntry> list = new ListView<>(vm.historyItems);
        list.setId("historyList");
        list.setCellFactory(l -> new HistoryCell());
        list.setPlaceholder(new Label("Finished images appear here."));
        list.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.show(b);
            }
        });
        list.setOnMouseClicked(e -> {
            HistoryEntry sel = list.getSelectionModel().getSelectedItem();
            if (e.getClickCount() == 2 && sel != null) {
                vm.restoreFrom(sel);
            }
        });
        VBox.setVgrow(list, Priority.ALWAYS);
        Button restore = new Button("Reuse");
        restore.setId("reuseSettingsButton");
        restore.setTooltip(new javafx.scene.control.Tooltip("Put this image's prompt and settings back into the form"));
        restore.disableProperty().bind(list.getSelectionModel().selectedItemProperty().isNull());
        restore.setOnAction(e -> vm.restoreFrom(list.getSelectionModel().getSelectedItem()));
        Button delete = new Button("Delete");
        delete.setId("deleteHistoryButton");
        delete.getStyleClass().add("danger-button");
        delete.disableProperty().bind(list.getSelectionModel().selectedItemProperty().isNull());
        delete.setOnAction(e -> vm.delete(list.getSelectionModel().getSelectedItem()));
        Button make4k = new Button("Make 4K");
        make4k.setId("make4kButton");
        make4k.setTooltip(new javafx.scene.control.Tooltip("Export this image as a 4K wallpaper or a poster (same prompt and seed, refined at full size)"));
        make4k.disableProperty().bind(list.getSelectionModel().selectedItemProperty().isNull().or(vm.running));
        make4k.setOnAction(e -> {
            HistoryEntry sel = list.getSelectionModel().getSelectedItem();
            PosterDialog.show(window(), vm, sel.settings(), vm.image.get(), "wallpaper-4k");
        });
        HBox actions = new HBox(6, restore, make4k, spacer(), delete);
        // never ellipsize the action labels in the narrow panel
        for (Button b : new Button[] {restore, make4k, delete}) {
            b.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        }
        Label count = new Label();
        count.getStyleClass().add("hint");
        count.textProperty().bind(Bindings.createStringBinding(
                () -> vm.historyItems.size() == 1 ? "1 image" : vm.historyItems.size() + " images", vm.historyItems));
        HBox historyHeader = new HBox(sectionTitle("History"), spacer(), count);
        historyHeader.setAlignment(Pos.BASELINE_LEFT);
        VBox historyBox = new VBox(8, historyHeader, historySearch, list, actions);
        historyBox.getStyleClass().add("panel");
        VBox.setVgrow(historyBox, Priority.ALWAYS);

        VBox right = new VBox(10, modelBox, historyBox);
        right.getStyleClass().add("right-panel");
        right.setPrefWidth(330);
        right.setMinWidth(280);
        return right;
    }

    private Node statusBar() {
        Label status = new Label();
        status.setId("statusLabel");
        status.textProperty().bind(vm.status);
        Label data = new Label("Data: " + vm.context().dataDir());
        data.getStyleClass().add("hint");
        HBox bar = new HBox(10, status, spacer(), data);
        bar.getStyleClass().add("status-bar");
        return bar;
    }

    // ------------------------------------------------------------------ actions needing a window

    private void chooseModelFolder() {
        DirectoryChooser c = new DirectoryChooser();
        c.setTitle("Choose a PixArt pipeline folder (with model_index.json)");
        File dir = c.showDialog(window());
        if (dir != null) {
            vm.loadModel(dir.getAbsolutePath());
        }
    }

    private void chooseExport() {
        if (!vm.canExport()) {
            return;
        }
        FileChooser c = new FileChooser();
        c.setTitle("Export image");
        c.getExtensionFilters().setAll(new FileChooser.ExtensionFilter("PNG with settings", "*.png"),
                new FileChooser.ExtensionFilter("JPEG", "*.jpg", "*.jpeg"),
                new FileChooser.ExtensionFilter("TIFF", "*.tif", "*.tiff"));
        c.setInitialFileName("pixart-" + vm.lastSeed.get() + ".png");
        File f = c.showSaveDialog(window());
        if (f != null) {
            vm.export(f.toPath(), null);
        }
    }

    private void chooseImageToRestore() {
        FileChooser c = new FileChooser();
        c.setTitle("Restore settings from an image");
        c.getExtensionFilters().setAll(new FileChooser.ExtensionFilter("Images", "*.png", "*.jpg", "*.jpeg"));
        File f = c.showOpenDialog(window());
        if (f != null) {
            vm.restoreFromFile(f.toPath());
        }
    }

    private void installShortcuts() {
        KeyCombination gen = new KeyCodeCombination(KeyCode.ENTER, KeyCombination.SHORTCUT_DOWN);
        KeyCombination reuse = new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN);
        KeyCombination find = new KeyCodeCombination(KeyCode.F, KeyCombination.SHORTCUT_DOWN);
        // a filter, so Ctrl+Enter works while typing in the prompt (the text area would take Enter)
        root.addEventFilter(javafx.scene.input.KeyEvent.KEY_PRESSED, e -> {
            if (gen.match(e)) {
                vm.generate();
                e.consume();
            } else if (e.getCode() == KeyCode.ESCAPE && vm.running.get()) {
                vm.cancel();
                e.consume();
            } else if (reuse.match(e)) {
                vm.reuseLastSeed();
                e.consume();
            } else if (find.match(e)) {
                historySearch.requestFocus();
                e.consume();
            }
        });
    }

    private void installDrop() {
        root.setOnDragOver(e -> {
            if (e.getDragboard().hasFiles()) {
                e.acceptTransferModes(TransferMode.COPY);
            }
            e.consume();
        });
        root.setOnDragDropped(e -> {
            List<File> files = e.getDragboard().getFiles();
            boolean ok = files != null && !files.isEmpty();
            if (ok) {
                Path p = files.get(0).toPath();
                vm.restoreFromFile(p);
            }
            e.setDropCompleted(ok);
            e.consume();
        });
    }

    public void focusPrompt() {
        promptArea.requestFocus();
    }

    // ------------------------------------------------------------------ helpers

    private static Label sectionTitle(String s) {
        Label l = new Label(s.toUpperCase(Locale.ROOT));
        l.getStyleClass().add("section-title");
        return l;
    }

    private static Label fieldLabel(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("field-label");
        return l;
    }

    private static Region spacer() {
        Region r = new Region();
        HBox.setHgrow(r, Priority.ALWAYS);
        return r;
    }

    private static void pseudo(Node n, String cls, boolean on) {
        n.pseudoClassStateChanged(javafx.css.PseudoClass.getPseudoClass(cls), on);
    }
}
