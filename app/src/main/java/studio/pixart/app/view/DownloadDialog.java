package studio.pixart.app.view;

import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import javafx.stage.Window;
import studio.pixart.app.download.DownloadService;
import studio.pixart.app.download.PendingDownloads;
import studio.pixart.app.vm.DownloadViewModel;
import studio.pixart.engine.hub.HubSettings;
import studio.pixart.engine.hub.ModelCatalogue;

/**
 * Model → Download model…: the catalogue (name, what it is good at, size, RAM/VRAM, licence,
 * status), precision, progress with speed and ETA, Download / Pause / Resume / Cancel. A window of
 * its own, not modal: the studio stays usable while a model downloads. State lives in
 * {@link DownloadViewModel}.
 */
public final class DownloadDialog {
    static final String CSS = "/studio/pixart/app/assets/css/download.css";
    private static Stage open;

    private DownloadDialog() {}

    /**
     * The studio's download model: the hub settings of the environment (HF_ENDPOINT, HF_TOKEN,
     * HF_HUB_CACHE …), events on the FX thread, unfinished downloads remembered in the data folder.
     */
    public static DownloadViewModel studioModel(java.nio.file.Path dataDir, java.util.function.Consumer<String> openModel) {
        return new DownloadViewModel(ModelCatalogue.load(),
                new DownloadService(HubSettings.fromEnvironment(), javafx.application.Platform::runLater),
                new PendingDownloads(dataDir.resolve("downloads.json")), openModel);
    }

    /** Shows the window (or brings the open one to the front). */
    public static Stage show(Window owner, DownloadViewModel vm) {
        if (open != null && open.isShowing()) {
            open.toFront();
            return open;
        }
        vm.refreshRows();
        Stage stage = new Stage();
        if (owner != null) {
            stage.initOwner(owner);
        }
        stage.setTitle("Download a model");
        var screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        Scene scene = new Scene(content(vm, stage), Math.min(1040, screen.getWidth() - 40), Math.min(520, screen.getHeight() - 60));
        scene.getStylesheets().add(DownloadDialog.class.getResource(MainWindow.CSS).toExternalForm());
        scene.getStylesheets().add(DownloadDialog.class.getResource(CSS).toExternalForm());
        stage.setScene(scene);
        stage.show();
        open = stage;
        return stage;
    }

    static VBox content(DownloadViewModel vm, Stage stage) {
        Label hint = new Label("Models come from the Hugging Face Hub and go into its cache, shared with diffusers. "
                + "Sizes are estimates until the download starts.");
        hint.getStyleClass().add("download-hint");
        hint.setWrapText(true);

        TableView<DownloadViewModel.Row> table = new TableView<>(vm.rows);
        table.setId("downloadTable");
        table.getColumns().add(column("Model", 130, r -> r.name()));
        table.getColumns().add(column("Good at", 330, r -> r.entry().goodAt()));
        table.getColumns().add(column("Size", 140, DownloadViewModel.Row::size));
        table.getColumns().add(column("RAM / VRAM", 110, DownloadViewModel.Row::memory));
        table.getColumns().add(column("Licence", 170, r -> r.entry().license().replace(" (openrail++)", "")));
        table.getColumns().add(column("Status", 120, DownloadViewModel.Row::status));
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY);
        table.setRowFactory(t -> {
            javafx.scene.control.TableRow<DownloadViewModel.Row> row = new javafx.scene.control.TableRow<>();
            row.itemProperty().addListener((o, a, b) -> row.setTooltip(b == null ? null
                    : new Tooltip(b.name() + ": " + b.entry().goodAt() + "\n" + b.entry().repo() + (b.entry().transformerOnly() ? "\ntransformer only; T5, VAE and "
                    + "scheduler come from " + b.entry().base() : "") + "\n" + b.size() + ", " + b.memory() + " (RAM / VRAM)"
                    + "\nlicence: " + b.entry().license() + ", " + b.entry().licenseUrl())));
            row.setOnMouseClicked(e -> {
                if (e.getClickCount() == 2 && !row.isEmpty() && vm.canDownload.get()) {
                    vm.download();
                }
            });
            return row;
        });
        vm.selected.addListener((o, a, b) -> table.getSelectionModel().select(b));
        table.getSelectionModel().select(vm.selected.get());
        table.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.selected.set(b);
            }
        });
        VBox.setVgrow(table, Priority.ALWAYS);

        CheckBox fp16 = new CheckBox("Half-precision (fp16) files where the model has them: about half the download");
        fp16.setId("downloadFp16");
        fp16.selectedProperty().bindBidirectional(vm.halfPrecision);

        ProgressBar bar = new ProgressBar();
        bar.setId("downloadProgress");
        bar.setMaxWidth(Double.MAX_VALUE);
        bar.progressProperty().bind(vm.progress);
        Label progress = new Label();
        progress.setId("downloadProgressText");
        progress.textProperty().bind(vm.progressText);
        Label speed = new Label();
        speed.setId("downloadSpeed");
        speed.textProperty().bind(Bindings.createStringBinding(() -> String.join("  ·  ",
                java.util.stream.Stream.of(vm.speedText.get(), vm.etaText.get()).filter(s -> !s.isEmpty()).toList()),
                vm.speedText, vm.etaText));
        Label files = new Label();
        files.textProperty().bind(vm.fileText);
        for (Label l : new Label[] {progress, speed, files}) {
            l.getStyleClass().addAll("download-status", "elastic");
            Tooltip tip = new Tooltip();
            tip.textProperty().bind(l.textProperty());
            l.setTooltip(tip);
        }
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox status = new HBox(12, progress, spacer, files, speed);
        Label message = new Label();
        message.setId("downloadMessage");
        message.getStyleClass().add("download-message");
        message.setWrapText(true);
        message.textProperty().bind(vm.message);
        vm.state.addListener((o, a, b) -> {
            message.getStyleClass().remove("error");
            if (b == DownloadViewModel.State.FAILED) {
                message.getStyleClass().add("error");
            }
        });

        Button download = button("Download", "downloadButton", vm::download);
        download.setDefaultButton(true);
        download.disableProperty().bind(vm.canDownload.not());
        Button pause = button("Pause", "downloadPause", vm::pause);
        pause.disableProperty().bind(vm.canPause.not());
        Button resume = button("Resume", "downloadResume", vm::resume);
        resume.disableProperty().bind(vm.canResume.not());
        Button cancel = button("Cancel download", "downloadCancel", vm::cancel);
        cancel.disableProperty().bind(vm.canCancel.not());
        Button close = button("Close", "downloadClose", stage::close);
        Region gap = new Region();
        HBox.setHgrow(gap, Priority.ALWAYS);
        HBox buttons = new HBox(8, download, pause, resume, cancel, gap, close);
        buttons.setAlignment(Pos.CENTER_LEFT);

        VBox root = new VBox(hint, table, fp16, bar, status, message, buttons);
        // only the table gives up height when the window is small
        for (Region r : new Region[] {hint, fp16, bar, status, message, buttons}) {
            r.setMinHeight(Region.USE_PREF_SIZE);
        }
        root.getStyleClass().add("download-dialog");
        return root;
    }

    private static TableColumn<DownloadViewModel.Row, String> column(String title, double width,
                                                                  java.util.function.Function<DownloadViewModel.Row, String> value) {
        TableColumn<DownloadViewModel.Row, String> c = new TableColumn<>(title);
        c.setPrefWidth(width);
        c.setCellValueFactory(cd -> new javafx.beans.property.ReadOnlyStringWrapper(value.apply(cd.getValue())));
        // a narrow window shortens the texts; the row's tooltip has them in full
        c.setCellFactory(col -> {
            javafx.scene.control.TableCell<DownloadViewModel.Row, String> cell = new javafx.scene.control.TableCell<>() {
                @Override
                protected void updateItem(String item, boolean empty) {
                    super.updateItem(item, empty);
                    setText(empty ? null : item);
                }
            };
            cell.getStyleClass().add("elastic");
            return cell;
        });
        return c;
    }

    private static Button button(String text, String id, Runnable action) {
        Button b = new Button(text);
        b.setId(id);
        b.setOnAction(e -> action.run());
        return b;
    }
}
