package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.TextArea;
import javafx.scene.control.ToggleButton;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.HBox;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.job.JobEvent;

/**
 * Drives the real window headless (Monocle): prompt, token counter, 16:9, generate with previews
 * to 100 %, cancel a second job, restart and find both in the history, restore settings from an
 * exported PNG, and an engine error shown in the window. Saves screenshots of each state.
 */
class StudioUiTest {
    @TempDir
    Path data;
    @TempDir
    Path exports;

    private final FxRobot robot = new FxRobot();
    private final AtomicReference<FakeGenerationService> engine = new AtomicReference<>();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private StudioApp app;

    @BeforeAll
    static void stage() throws TimeoutException {
        FxToolkit.registerPrimaryStage();
    }

    @AfterEach
    void tearDown() throws TimeoutException {
        if (app != null) {
            FxToolkit.cleanupApplication(app);
        }
    }

    private StudioApp launch() throws TimeoutException {
        StudioContext ctx = StudioContext.defaults().withDataDir(data).withServices(() -> {
            FakeGenerationService s = new FakeGenerationService(60, failure);
            engine.set(s);
            return s;
        });
        app = (StudioApp) FxToolkit.setupApplication(() -> new StudioApp(ctx));
        WaitForAsyncUtils.waitForFxEvents();
        return app;
    }

    private StudioViewModel vm() {
        return app.viewModel();
    }

    private static void waitUntil(String what, Callable<Boolean> condition) {
        try {
            WaitForAsyncUtils.waitFor(15, TimeUnit.SECONDS, condition);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for: " + what);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void screenshot(String name) throws IOException {
        WaitForAsyncUtils.waitForFxEvents();
        var img = WaitForAsyncUtils.asyncFx(() -> app.stage().getScene().snapshot(null));
        Path dir = TestSupport.screenshots();
        Files.createDirectories(dir);
        try {
            ImageIO.write(SwingFXUtils.fromFXImage(img.get(10, TimeUnit.SECONDS), null), "png", dir.resolve(name + ".png").toFile());
        } catch (Exception e) {
            throw new IOException("screenshot " + name + " failed: " + e, e);
        }
    }

    private String text(String query) {
        return robot.lookup(query).queryAs(Label.class).getText();
    }

    @Test
    void fullWorkflowThroughTheWindow() throws Exception {
        launch();
        screenshot("01-empty-no-model");
        assertTrue(robot.lookup("#emptyState").query().isVisible());

        // open the tiny golden pipeline by typing its folder into the model field
        robot.clickOn("#modelSpec").write(TestSupport.tinyPipeline().toString()).type(KeyCode.ENTER);
        waitUntil("model loaded", () -> vm().model.get() != null);
        assertTrue(vm().model.get().usable(), vm().modelMessage.get());
        assertEquals("PixArt-\u03a3 16px", text("#modelName"));

        // prompt and live token counter
        String prompt = "a lighthouse on a cliff at sunset, dramatic clouds";
        robot.clickOn("#promptArea").write(prompt);
        assertEquals(prompt, robot.lookup("#promptArea").queryAs(TextArea.class).getText());
        // the tiny pipeline's T5 tokenizer counts exactly (no "~" estimate)
        waitUntil("token counter", () -> text("#tokenCounter").matches("\\d+ / 300 tokens"));
        int tokens = Integer.parseInt(text("#tokenCounter").split(" ")[0]);
        assertTrue(tokens > 10 && tokens < 40, text("#tokenCounter"));

        // 16:9 tile
        robot.clickOn("#ratio-16x9");
        assertTrue(robot.lookup("#ratio-16x9").queryAs(ToggleButton.class).isSelected());
        assertEquals("Generates 24 \u00d7 16", text("#sizeLabel"));

        robot.interact(() -> {
            vm().steps.set(12);
            vm().randomSeed.set(false);
            vm().seed.set(4242);
        });

        // Ctrl+Enter in the prompt generates
        robot.clickOn("#promptArea").press(KeyCode.CONTROL, KeyCode.ENTER).release(KeyCode.ENTER, KeyCode.CONTROL);
        waitUntil("a preview mid-run", () -> vm().imageIsPreview.get() && vm().progress.get() >= 0.4 && vm().progress.get() < 1);
        assertTrue(text("#progressLabel").startsWith("Step "), text("#progressLabel"));
        screenshot("02-generating-preview");
        waitUntil("finished", () -> vm().lastOutcome.get() instanceof JobEvent.Finished);
        assertEquals(1.0, vm().progress.get());
        assertTrue(text("#progressLabel").startsWith("Done in"), text("#progressLabel"));
        assertEquals(24, engine.get().requests.get(0).width());
        assertEquals(16, engine.get().requests.get(0).height());
        assertEquals(4242, engine.get().requests.get(0).seed());
        waitUntil("history entry", () -> vm().historyItems.size() == 1);
        screenshot("03-finished");

        Path exported = exports.resolve("lighthouse.png");
        robot.interact(() -> vm().export(exported, null));
        waitUntil("export", () -> Files.exists(exported));

        // second job, cancelled from the Cancel button
        robot.interact(() -> vm().steps.set(400));
        robot.clickOn("#generateButton");
        waitUntil("second job running", () -> vm().running.get() && vm().progress.get() > 0);
        robot.clickOn("#cancelButton");
        waitUntil("cancelled", () -> vm().lastOutcome.get() instanceof JobEvent.Cancelled);
        assertTrue(text("#progressLabel").startsWith("Cancelled at step"), text("#progressLabel"));
        waitUntil("two history entries", () -> vm().historyItems.size() == 2);

        // restart: both jobs are in the persisted history
        FxToolkit.cleanupApplication(app);
        launch();
        waitUntil("history after restart", () -> robot.lookup("#historyList").queryAs(ListView.class).getItems().size() == 2);
        @SuppressWarnings("unchecked")
        ListView<HistoryEntry> list = robot.lookup("#historyList").queryAs(ListView.class);
        assertEquals(HistoryEntry.Status.CANCELLED, list.getItems().get(0).status());
        assertEquals(HistoryEntry.Status.FINISHED, list.getItems().get(1).status());
        assertEquals(prompt, list.getItems().get(1).settings().prompt());
        assertEquals(prompt, vm().prompt.get(), "the form is remembered across restarts");
        waitUntil("model reopened", () -> vm().model.get() != null);
        robot.interact(() -> list.getSelectionModel().select(1));
        waitUntil("history image shown", () -> vm().image.get() != null && !vm().imageIsPreview.get());
        screenshot("04-history");

        // search by prompt text
        robot.clickOn("#historySearch").write("zebra");
        waitUntil("search filters", () -> list.getItems().isEmpty());
        robot.interact(() -> vm().historyQuery.set("LIGHTHOUSE"));
        waitUntil("search finds", () -> list.getItems().size() == 2);
        robot.interact(() -> vm().historyQuery.set(""));

        // restore settings from the exported PNG (what dropping it on the window does)
        robot.interact(() -> {
            vm().prompt.set("something else entirely");
            vm().aspect.set(vm().aspectRatios.get(0));
            vm().seed.set(1);
            vm().steps.set(30);
        });
        robot.interact(() -> vm().restoreFromFile(exported));
        waitUntil("settings restored", () -> vm().prompt.get().equals(prompt));
        assertTrue(robot.lookup("#ratio-16x9").queryAs(ToggleButton.class).isSelected());
        assertEquals("4242", robot.lookup("#seedField").queryAs(javafx.scene.control.TextField.class).getText());
        assertEquals(12, vm().steps.get());
        assertFalse(vm().randomSeed.get());

        // an engine error is shown in the window; the form survives
        failure.set("out of memory: 24x16 needs 96 GB on cpu (test)");
        robot.clickOn("#generateButton");
        waitUntil("error banner", () -> robot.lookup("#errorBanner").query().isVisible());
        assertEquals("out of memory: 24x16 needs 96 GB on cpu (test)", text("#errorMessage"));
        assertEquals(prompt, robot.lookup("#promptArea").queryAs(TextArea.class).getText());
        screenshot("05-error");
        robot.clickOn("#dismissError");
        assertFalse(robot.lookup("#errorBanner").queryAs(HBox.class).isVisible());

        // delete from the history
        int before = list.getItems().size();
        robot.interact(() -> list.getSelectionModel().select(0));
        robot.clickOn("#deleteHistoryButton");
        waitUntil("deleted", () -> list.getItems().size() == before - 1);
    }

    @Test
    void tokenCounterTurnsRedAndSaysWhatIsCut() throws Exception {
        launch();
        String longPrompt = ("word ").repeat(310).strip();
        robot.interact(() -> vm().prompt.set(longPrompt));
        waitUntil("over", () -> vm().tokenOver.get());
        Label counter = robot.lookup("#tokenCounter").queryAs(Label.class);
        assertEquals("~311 / 300 tokens", counter.getText());
        assertTrue(counter.getPseudoClassStates().contains(javafx.css.PseudoClass.getPseudoClass("over")));
        Label overflow = robot.lookup("#tokenOverflow").queryAs(Label.class);
        assertTrue(overflow.isVisible());
        assertTrue(overflow.getText().startsWith("Will be cut: \u201cword word"), overflow.getText());
        screenshot("06-token-overflow");
    }
}
