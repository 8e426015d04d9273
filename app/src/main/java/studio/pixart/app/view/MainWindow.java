package studio.pixart.app.view;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import javafx.application.Platform;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.scene.Parent;
import javafx.scene.control.Label;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import studio.pixart.app.vm.DownloadViewModel;
import studio.pixart.app.vm.StudioViewModel;

/**
 * The studio's window: the menu, and the panels it is made of — {@link PromptPanel} on the left,
 * {@link CanvasPane} in the centre, {@link ModelPanel} and {@link HistoryPanel} on the right, the
 * status bar — plus what needs the window itself: file choosers, shortcuts, drag and drop.
 * Styling lives in assets/css/studio.css.
 */
public final class MainWindow {
    public static final String CSS = Themes.BASE;

    private final StudioViewModel vm;
    private final BorderPane root = new BorderPane();
    private final PromptPanel promptPanel;
    private final CanvasPane canvasPane;
    private final HistoryPanel historyPanel;
    private final DownloadViewModel downloads;

    public MainWindow(StudioViewModel vm) {
        this.vm = vm;
        downloads = DownloadDialog.studioModel(vm.context().dataDir(), vm.model::loadModel);
        promptPanel = new PromptPanel(vm, this::window);
        canvasPane = new CanvasPane(vm, this::chooseModelFolder, this::downloadDefaultModel);
        historyPanel = new HistoryPanel(vm, this::window);
        root.getStyleClass().add("studio");
        root.setTop(menuBar());
        Region left = (Region) promptPanel.build();
        // the side panels give the canvas room in a small window and grow a little in a large one
        left.prefWidthProperty().bind(Bindings.max(300, Bindings.min(380, root.widthProperty().multiply(0.27))));
        root.setLeft(left);
        root.setCenter(canvasPane.build());
        VBox right = new VBox(10, new ModelPanel(vm, this::chooseModelFolder).build(), new QueuePanel(vm).build(),
                historyPanel.build());
        right.getStyleClass().add("right-panel");
        right.prefWidthProperty().bind(Bindings.max(280, Bindings.min(340, root.widthProperty().multiply(0.24))));
        right.setMinWidth(280);
        root.setRight(right);
        root.setBottom(statusBar());
        installShortcuts();
        installDrop();
        // a download the last session left unfinished goes on, in its window
        Platform.runLater(() -> {
            if (downloads.resumePending()) {
                DownloadDialog.show(window(), downloads);
            }
        });
    }

    private void downloadDefaultModel() {
        downloads.downloadDefault();
        DownloadDialog.show(window(), downloads);
    }

    public Parent root() {
        return root;
    }

    public ImageCanvas canvas() {
        return canvasPane.canvas;
    }

    private Window window() {
        return root.getScene() == null ? null : root.getScene().getWindow();
    }

    // ------------------------------------------------------------------ menu

    private MenuBar menuBar() {
        MenuItem openImage = item("Restore settings from image\u2026", "Ctrl+I", this::chooseImageToRestore);
        MenuItem export = item("Export image\u2026", "Ctrl+E", this::chooseExport);
        export.setId("exportMenu");
        export.disableProperty().bind(Bindings.createBooleanBinding(() -> !vm.canvas.canExport(),
                vm.canvas.image, vm.canvas.imageIsPreview));
        MenuItem poster = item("Export poster / wallpaper (4K)\u2026", "Ctrl+Shift+E",
                () -> PosterDialog.show(window(), vm, vm.canvas.imageSettings.get(), vm.canvas.image.get(), null));
        poster.setId("posterMenu");
        poster.disableProperty().bind(Bindings.createBooleanBinding(() -> !vm.canvas.canExport()
                || vm.canvas.imageSettings.get() == null,
                vm.canvas.image, vm.canvas.imageIsPreview, vm.canvas.imageSettings));
        MenuItem quit = item("Quit", "Ctrl+Q", () -> {
            Window w = window();
            if (w != null) {
                w.hide();
            }
        });
        MenuItem prefs = item("Preferences\u2026", "Shortcut+Comma", () -> PreferencesDialog.show(window(), vm.preferences));
        prefs.setId("preferencesMenu");
        Menu file = new Menu("File", null, openImage, new SeparatorMenuItem(), export, poster, new SeparatorMenuItem(), prefs,
                new SeparatorMenuItem(), quit);

        MenuItem generate = item("Generate", "Ctrl+Enter", vm.job::generate);
        // the window's key filter handles Ctrl+Enter (also while typing); the menu shows it
        generate.setAccelerator(null);
        MenuItem batch = item("Batch of prompts\u2026", "Ctrl+B", () -> BatchDialog.show(window(), vm));
        batch.setId("batchMenu");
        MenuItem variations = item("Variations of this image", "Ctrl+Shift+V",
                () -> vm.job.variations(vm.canvas.imageSettings.get(), 4));
        variations.setId("variationsMenu");
        variations.disableProperty().bind(vm.canvas.imageSettings.isNull());
        MenuItem cancel = item("Cancel the running job", "Esc", vm.job::cancel);
        cancel.setAccelerator(null);
        cancel.disableProperty().bind(vm.job.running.not());
        Menu gen = new Menu("Generate", null, generate, batch, variations, new SeparatorMenuItem(), cancel);

        MenuItem openFolder = item("Open model folder\u2026", "Ctrl+O", this::chooseModelFolder);
        Menu cached = new Menu("Hugging Face cache");
        Runnable fillCached = () -> {
            cached.getItems().clear();
            for (String id : vm.model.cachedModels) {
                MenuItem m = new MenuItem(id);
                m.setOnAction(e -> vm.model.loadModel(id));
                cached.getItems().add(m);
            }
            if (cached.getItems().isEmpty()) {
                MenuItem none = new MenuItem("(no PixArt models in the cache)");
                none.setDisable(true);
                cached.getItems().add(none);
            }
        };
        vm.model.cachedModels.addListener((ListChangeListener<String>) c -> fillCached.run());
        fillCached.run();
        MenuItem download = item("Download model\u2026", "Ctrl+Shift+D", () -> DownloadDialog.show(window(), downloads));
        download.setId("downloadMenu");
        Menu model = new Menu("Model", null, openFolder, download, cached);

        MenuItem fit = item("Fit to window", "Ctrl+0", () -> canvas().fit.set(true));
        MenuItem actual = item("Actual size (1:1)", "Ctrl+1", canvas()::actualSize);
        MenuItem gallery = item("Gallery", "Ctrl+G", () -> GalleryWindow.show(window(), vm));
        gallery.setId("galleryMenu");
        Menu view = new Menu("View", null, gallery, new SeparatorMenuItem(), fit, actual);

        MenuItem keys = new MenuItem("Keyboard shortcuts");
        keys.setId("shortcutsMenu");
        keys.setOnAction(e -> HelpDialogs.shortcuts(window()));
        MenuItem about = new MenuItem("About PixArt Studio");
        about.setId("aboutMenu");
        about.setOnAction(e -> HelpDialogs.about(window(), vm.context().dataDir().toString()));
        Menu help = new Menu("Help", null, keys, about);
        MenuBar bar = new MenuBar(file, gen, model, view, help);
        bar.getStyleClass().add("studio-menu");
        return bar;
    }

    private static MenuItem item(String text, String accel, Runnable action) {
        MenuItem m = new MenuItem(text);
        m.setAccelerator(KeyCombination.keyCombination(accel));
        m.setOnAction(e -> action.run());
        return m;
    }

    private HBox statusBar() {
        Label status = new Label();
        status.setId("statusLabel");
        status.textProperty().bind(vm.status.status);
        Tooltip statusTip = new Tooltip();
        statusTip.textProperty().bind(vm.status.status);
        status.setTooltip(statusTip);
        Label data = new Label("Data: " + vm.context().dataDir());
        data.setTooltip(new Tooltip(data.getText()));
        data.getStyleClass().add("hint");
        // long paths shorten (in full in their tooltips) rather than widen the window
        for (Label l : new Label[] {status, data}) {
            l.getStyleClass().add("elastic");
            l.setMinWidth(0);
        }
        data.setTextOverrun(javafx.scene.control.OverrunStyle.CENTER_ELLIPSIS);
        HBox.setHgrow(status, Priority.SOMETIMES);
        HBox bar = new HBox(10, status, ViewSupport.spacer(), data);
        bar.getStyleClass().add("status-bar");
        return bar;
    }

    // ------------------------------------------------------------------ actions needing a window

    private void chooseModelFolder() {
        DirectoryChooser c = new DirectoryChooser();
        c.setTitle("Choose a PixArt pipeline folder (with model_index.json)");
        File dir = c.showDialog(window());
        if (dir != null) {
            vm.model.loadModel(dir.getAbsolutePath());
        }
    }

    private void chooseExport() {
        if (!vm.canvas.canExport()) {
            return;
        }
        FileChooser c = new FileChooser();
        c.setTitle("Export image");
        c.getExtensionFilters().setAll(new FileChooser.ExtensionFilter("PNG with settings", "*.png"),
                new FileChooser.ExtensionFilter("JPEG", "*.jpg", "*.jpeg"),
                new FileChooser.ExtensionFilter("TIFF", "*.tif", "*.tiff"));
        java.nio.file.Path folder = vm.preferences.current().outputPath();
        if (java.nio.file.Files.isDirectory(folder)) {
            c.setInitialDirectory(folder.toFile());
        }
        c.setInitialFileName(vm.canvas.suggestedFileName(vm.preferences.fileNamePattern.get()));
        File f = c.showSaveDialog(window());
        if (f != null) {
            vm.canvas.export(f.toPath(), null);
        }
    }

    private void chooseImageToRestore() {
        FileChooser c = new FileChooser();
        c.setTitle("Restore settings from an image");
        c.getExtensionFilters().setAll(new FileChooser.ExtensionFilter("Images", "*.png", "*.jpg", "*.jpeg"));
        File f = c.showOpenDialog(window());
        if (f != null) {
            vm.history.restoreFromFile(f.toPath());
        }
    }

    private void installShortcuts() {
        KeyCombination gen = new KeyCodeCombination(KeyCode.ENTER, KeyCombination.SHORTCUT_DOWN);
        KeyCombination reuse = new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN);
        KeyCombination find = new KeyCodeCombination(KeyCode.F, KeyCombination.SHORTCUT_DOWN);
        KeyCombination undoStroke = new KeyCodeCombination(KeyCode.Z, KeyCombination.SHORTCUT_DOWN);
        // a filter, so Ctrl+Enter works while typing in the prompt (the text area would take Enter)
        root.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            if (gen.match(e)) {
                vm.job.generate();
                e.consume();
            } else if (e.getCode() == KeyCode.ESCAPE && vm.job.running.get()) {
                vm.job.cancel();
                e.consume();
            } else if (reuse.match(e)) {
                vm.form.reuseLastSeed();
                e.consume();
            } else if (find.match(e)) {
                historyPanel.historySearch.requestFocus();
                e.consume();
            } else if (undoStroke.match(e) && vm.startImage.inpaint.get() && vm.startImage.canUndoMask.get()
                    && !(root.getScene().getFocusOwner() instanceof javafx.scene.control.TextInputControl)) {
                // Ctrl+Z in a text field stays the field's own undo
                vm.startImage.undoMask();
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
                vm.history.restoreFromFile(p);
            }
            e.setDropCompleted(ok);
            e.consume();
        });
    }

    public void focusPrompt() {
        promptPanel.promptArea.requestFocus();
    }
}
