package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;
import studio.pixart.app.download.DownloadService;
import studio.pixart.app.download.PendingDownloads;
import studio.pixart.app.view.DownloadDialog;
import studio.pixart.app.vm.DownloadViewModel;
import studio.pixart.engine.hub.HubSettings;
import studio.pixart.engine.hub.HubTestServer;
import studio.pixart.engine.hub.ModelCatalogue;

/** The Download model window, headless (Monocle), downloading from the loopback hub. */
class DownloadDialogUiTest {
    @TempDir
    Path tmp;
    HubTestServer hub;
    Stage stage;
    final FxRobot robot = new FxRobot();
    final List<String> opened = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void toolkit() throws TimeoutException {
        FxToolkit.registerPrimaryStage();
    }

    @BeforeEach
    void start() throws IOException {
        hub = new HubTestServer();
        hub.addRepo("PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", TestSupport.tinyPipeline());
    }

    @AfterEach
    void stop() throws Exception {
        if (stage != null) {
            WaitForAsyncUtils.asyncFx(stage::close).get(5, TimeUnit.SECONDS);
        }
        hub.close();
    }

    @Test
    void pickPauseResumeAndFinish() throws Exception {
        hub.throttle(15_000); // about 13 s for the tiny pipeline: time to see it run and pause it
        HubSettings s = new HubSettings(hub.endpoint(), tmp.resolve("hub"), null, false, 3, 4, 3, Duration.ofMillis(10),
                Duration.ofSeconds(10));
        DownloadViewModel vm = new DownloadViewModel(ModelCatalogue.load(), new DownloadService(s, Platform::runLater),
                new PendingDownloads(tmp.resolve("downloads.json")), opened::add);
        stage = WaitForAsyncUtils.asyncFx(() -> DownloadDialog.show(null, vm)).get(10, TimeUnit.SECONDS);
        WaitForAsyncUtils.waitForFxEvents();

        TableView<?> table = robot.lookup("#downloadTable").queryAs(TableView.class);
        assertEquals(7, table.getItems().size());
        assertEquals(vm.selected.get(), table.getSelectionModel().getSelectedItem());
        assertTrue(robot.lookup("PixArt-Σ 1024").tryQuery().isPresent(), "the catalogue's names are shown");

        robot.clickOn("#downloadButton");
        waitUntil("bytes arrive", () -> vm.progress.get() > 0.05);
        Label speed = robot.lookup("#downloadSpeed").queryAs(Label.class);
        waitUntil("speed and ETA shown", () -> speed.getText().contains("/s") && speed.getText().contains("left"));
        screenshot("download-dialog-running");
        assertTrue(robot.lookup("#downloadProgress").query().getLayoutBounds().getHeight() > 4, "the progress bar is shown");
        robot.clickOn("#downloadPause");
        waitUntil("paused", () -> vm.state.get() == DownloadViewModel.State.PAUSED);
        assertTrue(robot.lookup("#downloadResume").queryAs(Button.class).isDisabled() == false);
        hub.throttle(0);
        robot.clickOn("#downloadResume");
        waitUntil("done", () -> vm.state.get() == DownloadViewModel.State.DONE);
        Label message = robot.lookup("#downloadMessage").queryAs(Label.class);
        assertTrue(message.getText().contains("PixArt-Σ 1024 is ready"), message.getText());
        assertEquals(List.of("PixArt-alpha/PixArt-Sigma-XL-2-1024-MS"), opened);
        screenshot("download-dialog-done");
    }

    @Test
    void theEmptyCanvasOffersTheDownloadNextToOpenAFolderAndTheMenuOpensTheWindow() throws Exception {
        FakeGenerationService engine = new FakeGenerationService(2);
        StudioContext ctx = StudioContext.defaults().withDataDir(tmp.resolve("data")).withServices(() -> engine);
        StudioApp app = (StudioApp) FxToolkit.setupApplication(() -> new StudioApp(ctx));
        try {
            WaitForAsyncUtils.waitForFxEvents();
            Button download = robot.lookup("#downloadDefaultButton").queryAs(Button.class);
            assertEquals("Download PixArt-\u03a3 1024", download.getText());
            assertTrue(download.isVisible() && robot.lookup("#emptyOpenFolderButton").queryAs(Button.class).isVisible());
            robot.interact(() -> ((javafx.scene.control.MenuBar) app.stage().getScene().lookup(".menu-bar")).getMenus()
                    .stream().flatMap(m -> m.getItems().stream()).filter(i -> "downloadMenu".equals(i.getId()))
                    .findFirst().orElseThrow().fire());
            waitUntil("the download window", () -> javafx.stage.Window.getWindows().stream()
                    .anyMatch(w -> w instanceof Stage st && "Download a model".equals(st.getTitle()) && st.isShowing()));
            stage = (Stage) javafx.stage.Window.getWindows().stream()
                    .filter(w -> w instanceof Stage st && "Download a model".equals(st.getTitle())).findFirst().orElseThrow();
            assertEquals(7, ((TableView<?>) stage.getScene().lookup("#downloadTable")).getItems().size());
        } finally {
            FxToolkit.cleanupApplication(app);
        }
    }

    private static void waitUntil(String what, java.util.concurrent.Callable<Boolean> condition) {
        try {
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for: " + what);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void screenshot(String name) throws Exception {
        var img = WaitForAsyncUtils.asyncFx(() -> stage.getScene().snapshot(null)).get(10, TimeUnit.SECONDS);
        Path dir = TestSupport.screenshots();
        Files.createDirectories(dir);
        ImageIO.write(SwingFXUtils.fromFXImage(img, null), "png", dir.resolve(name + ".png").toFile());
    }
}
