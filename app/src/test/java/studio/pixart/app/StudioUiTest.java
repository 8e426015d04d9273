package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javafx.beans.value.ChangeListener;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.control.Label;
import javafx.scene.image.WritableImage;
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
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.pipeline.GenerationRequest;

/**
 * Drives the real window headless (Monocle) on the real engine with the tiny golden pipeline:
 * prompt, token counter, 16:9, generate with previews to 100 %, cancel a second job, restart and
 * find both in the history, restore settings from an exported PNG, and an engine error (a damaged
 * weight file) shown in the window. Saves screenshots of each state.
 */
class StudioUiTest {
    @TempDir
    Path data;
    @TempDir
    Path exports;
    @TempDir
    Path models;

    private final FxRobot robot = new FxRobot();
    private StudioApp app;

    @BeforeAll
    static void stage() throws TimeoutException {
        TestSupport.singleTorchThread();
        FxToolkit.registerPrimaryStage();
    }

    @AfterEach
    void tearDown() throws TimeoutException {
        if (app != null) {
            FxToolkit.cleanupApplication(app);
        }
    }

    /** The studio as shipped (the engine's EngineService), with its data (history, embedding cache) in a temp folder. */
    private final long t0 = System.nanoTime();

    private void mark(String what) {
        System.out.printf("StudioUiTest: %5.1f s %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private StudioApp launch() throws TimeoutException {
        StudioContext ctx = StudioContext.defaults().withDataDir(data);
        app = (StudioApp) FxToolkit.setupApplication(() -> new StudioApp(ctx));
        WaitForAsyncUtils.waitForFxEvents();
        return app;
    }

    private StudioViewModel vm() {
        return app.viewModel();
    }

    private static void waitUntil(String what, Callable<Boolean> condition) {
        waitUntil(what, 60, condition);
    }

    private static void waitUntil(String what, int seconds, Callable<Boolean> condition) {
        try {
            WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, condition);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for: " + what);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void screenshot(String name) throws IOException {
        WaitForAsyncUtils.waitForFxEvents();
        var img = WaitForAsyncUtils.asyncFx(() -> app.stage().getScene().snapshot(null));
        try {
            save(name, img.get(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("screenshot " + name + " failed: " + e, e);
        }
    }

    private static void save(String name, WritableImage img) throws IOException {
        Path dir = TestSupport.screenshots();
        Files.createDirectories(dir);
        ImageIO.write(SwingFXUtils.fromFXImage(img, null), "png", dir.resolve(name + ".png").toFile());
    }

    /** A copy of the tiny golden pipeline that this test may damage. */
    private Path tinyModelCopy() throws IOException {
        Path src = TestSupport.tinyPipeline();
        Path dst = models.resolve("tiny-pixart-sigma");
        try (var files = Files.walk(src)) {
            for (Path p : files.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return dst;
    }

    private String text(String query) {
        return robot.lookup(query).queryAs(Label.class).getText();
    }

    @Test
    void fullWorkflowThroughTheWindow() throws Exception {
        Path model = tinyModelCopy();
        launch();
        mark("window up");
        screenshot("01-empty-no-model");
        assertTrue(robot.lookup("#emptyState").query().isVisible());

        // open the tiny golden pipeline by typing its folder into the model field
        // key presses go to the window the platform has focused: after other UI test classes that may
        // not be this one until it is brought to the front
        robot.interact(() -> {
            app.stage().toFront();
            app.stage().requestFocus();
        });
        robot.clickOn("#modelSpec").write(model.toString()).type(KeyCode.ENTER);
        waitUntil("model loaded", 60, () -> vm().model.info.get() != null); // 12-15 s under a load of 40
        assertTrue(vm().model.info.get().usable(), vm().model.message.get());
        assertEquals("PixArt-\u03a3 16px", text("#modelName"));

        mark("model opened");
        // prompt and live token counter
        String prompt = "a lighthouse on a cliff at sunset, dramatic clouds";
        robot.clickOn("#promptArea").write(prompt);
        assertEquals(prompt, robot.lookup("#promptArea").queryAs(TextArea.class).getText());
        // the tiny pipeline's T5 tokenizer counts exactly (no "~" estimate)
        waitUntil("token counter", () -> text("#tokenCounter").matches("\\d+ / 300 tokens"));
        int tokens = Integer.parseInt(text("#tokenCounter").split(" ")[0]);
        assertTrue(tokens > 10 && tokens < 40, text("#tokenCounter"));

        mark("prompt typed");
        // 16:9 tile, in the size class the 16 px model offers; sample size 8 has no bin table
        robot.clickOn("#ratio-16x9");
        assertTrue(robot.lookup("#ratio-16x9").queryAs(ToggleButton.class).isSelected());
        assertTrue(robot.lookup("#size-16").queryAs(ToggleButton.class).isSelected());
        assertEquals("Generates 24 \u00d7 16  \u2192  delivers 24 \u00d7 16  \u00b7  no binning (no size table for sample size 8)",
                text("#sizeLabel"));
        assertTrue(robot.lookup("#binningCheck").query().isDisabled());

        robot.interact(() -> {
            vm().preferences.keepCancelled.set(true); // keep the cancelled job in the history (off by default)
            vm().preferences.save();
            vm().form.steps.set(8);
            vm().form.randomSeed.set(false);
            vm().form.seed.set(4242);
            vm().form.previewMode.set(GenerationRequest.PreviewMode.BOTH);
        });

        // the "generating" screenshot is taken on the FX thread the moment a preview is on the
        // canvas mid-run (the tiny model is too fast to catch that state by polling)
        AtomicInteger previews = new AtomicInteger();
        AtomicReference<WritableImage> midRun = new AtomicReference<>();
        Runnable capture = () -> {
            double p = vm().job.progress.get();
            if (vm().job.running.get() && vm().canvas.imageIsPreview.get() && p > 0 && p < 1 && midRun.get() == null
                    && text("#progressLabel").startsWith("Step ")) {
                midRun.set(app.stage().getScene().snapshot(null));
            }
        };
        ChangeListener<Object> onChange = (o, a, b) -> capture.run();
        ChangeListener<RgbImage> onImage = (o, a, b) -> {
            if (vm().canvas.imageIsPreview.get() && vm().job.running.get()) {
                previews.incrementAndGet();
            }
            capture.run();
        };
        robot.interact(() -> {
            vm().job.progress.addListener(onChange);
            vm().canvas.image.addListener(onImage);
        });

        mark("generate");
        // Ctrl+Enter in the prompt generates
        robot.clickOn("#promptArea").press(KeyCode.CONTROL, KeyCode.ENTER).release(KeyCode.ENTER, KeyCode.CONTROL);
        waitUntil("finished", 120, () -> vm().job.lastOutcome.get() != null);
        robot.interact(() -> {
            vm().job.progress.removeListener(onChange);
            vm().canvas.image.removeListener(onImage);
        });
        assertTrue(vm().job.lastOutcome.get() instanceof JobEvent.Finished, String.valueOf(vm().job.lastOutcome.get())
                + (vm().status.error.get() == null ? "" : ": " + vm().status.error.get().message()));
        assertTrue(previews.get() >= 1, "at least one preview on the canvas while the job ran");
        assertTrue(midRun.get() != null, "a mid-run state with a preview was shown");
        save("02-generating-preview", midRun.get());
        assertEquals(1.0, vm().job.progress.get());
        assertTrue(text("#progressLabel").startsWith("Done in"), text("#progressLabel"));
        JobEvent.Finished done = (JobEvent.Finished) vm().job.lastOutcome.get();
        System.out.println("StudioUiTest: first job (8 steps, previews BOTH) " + done.timings() + ", " + previews + " previews shown");
        assertEquals(24, done.images().get(0).width());
        assertEquals(16, done.images().get(0).height());
        assertEquals(4242L, ((Number) done.metadata().get(0).get("seed")).longValue());
        assertEquals(false, done.metadata().get(0).get("binning"));
        assertFalse(vm().canvas.imageIsPreview.get());
        waitUntil("history entry", () -> vm().history.items.size() == 1);
        screenshot("03-finished");

        mark("export and cancel");
        Path exported = exports.resolve("lighthouse.png");
        robot.interact(() -> vm().canvas.export(exported, null));
        waitUntil("export", () -> Files.exists(exported));

        // second job, cancelled from the Cancel button while it runs
        robot.interact(() -> vm().form.steps.set(CANCEL_STEPS));
        robot.clickOn("#generateButton");
        waitUntil("second job running", 60, () -> vm().job.running.get() && vm().job.progress.get() > 0);
        robot.clickOn("#cancelButton");
        waitUntil("cancelled", 60, () -> vm().job.lastOutcome.get() != null);
        assertTrue(vm().job.lastOutcome.get() instanceof JobEvent.Cancelled, String.valueOf(vm().job.lastOutcome.get()));
        int atStep = ((JobEvent.Cancelled) vm().job.lastOutcome.get()).atStep();
        System.out.println("StudioUiTest: second job cancelled at step " + atStep + " / " + CANCEL_STEPS);
        assertTrue(atStep >= 1 && atStep < CANCEL_STEPS, "cancelled mid-run, at step " + atStep);
        assertTrue(text("#progressLabel").startsWith("Cancelled at step"), text("#progressLabel"));
        waitUntil("two history entries", () -> vm().history.items.size() == 2);

        mark("restart");
        // restart: both jobs are in the persisted history
        FxToolkit.cleanupApplication(app);
        launch();
        waitUntil("history after restart", () -> robot.lookup("#historyList").queryAs(ListView.class).getItems().size() == 2);
        @SuppressWarnings("unchecked")
        ListView<HistoryEntry> list = robot.lookup("#historyList").queryAs(ListView.class);
        assertEquals(HistoryEntry.Status.CANCELLED, list.getItems().get(0).status());
        assertEquals(HistoryEntry.Status.FINISHED, list.getItems().get(1).status());
        assertEquals(prompt, list.getItems().get(1).settings().prompt());
        assertEquals(prompt, vm().prompt.text.get(), "the form is remembered across restarts");
        waitUntil("model reopened", () -> vm().model.info.get() != null);
        robot.interact(() -> list.getSelectionModel().select(1));
        waitUntil("history image shown", () -> vm().canvas.image.get() != null && !vm().canvas.imageIsPreview.get());
        screenshot("04-history");

        mark("search");
        // search by prompt text
        robot.clickOn("#historySearch").write("zebra");
        waitUntil("search filters", () -> list.getItems().isEmpty());
        robot.interact(() -> vm().history.query.set("LIGHTHOUSE"));
        waitUntil("search finds", () -> list.getItems().size() == 2);
        robot.interact(() -> vm().history.query.set(""));

        mark("restore from PNG");
        // restore settings from the exported PNG (what dropping it on the window does)
        robot.interact(() -> {
            vm().prompt.text.set("something else entirely");
            vm().size.aspect.set(vm().size.aspectRatios.get(0));
            vm().form.seed.set(1);
            vm().form.steps.set(30);
        });
        robot.interact(() -> vm().history.restoreFromFile(exported));
        waitUntil("settings restored", () -> vm().prompt.text.get().equals(prompt));
        assertTrue(robot.lookup("#ratio-16x9").queryAs(ToggleButton.class).isSelected());
        assertEquals("4242", robot.lookup("#seedField").queryAs(javafx.scene.control.TextField.class).getText());
        assertEquals(8, vm().form.steps.get());
        assertFalse(vm().form.randomSeed.get());

        mark("error");
        // an engine error is shown in the window (the model's weights got damaged since it was
        // opened; this fresh engine has to load them); the form survives
        robot.interact(() -> vm().form.steps.set(2));
        Path weights = model.resolve("transformer").resolve("diffusion_pytorch_model.safetensors");
        Files.write(weights, Arrays.copyOf(Files.readAllBytes(weights), 100));
        robot.clickOn("#generateButton");
        waitUntil("error banner", 60, () -> robot.lookup("#errorBanner").query().isVisible());
        assertTrue(vm().job.lastOutcome.get() instanceof JobEvent.Failed, String.valueOf(vm().job.lastOutcome.get()));
        assertTrue(text("#errorMessage").contains("diffusion_pytorch_model.safetensors"), text("#errorMessage"));
        assertEquals(prompt, robot.lookup("#promptArea").queryAs(TextArea.class).getText());
        screenshot("05-error");
        robot.clickOn("#dismissError");
        assertFalse(robot.lookup("#errorBanner").queryAs(HBox.class).isVisible());

        mark("delete");
        // delete from the history
        int before = list.getItems().size();
        robot.interact(() -> list.getSelectionModel().select(0));
        robot.clickOn("#deleteHistoryButton");
        waitUntil("deleted", () -> list.getItems().size() == before - 1);
        mark("done");
    }

    /** Enough steps that the Cancel click lands while the tiny model is still denoising. */
    private static final int CANCEL_STEPS = 200;

    @Test
    void tokenCounterTurnsRedAndSaysWhatIsCut() throws Exception {
        launch();
        String longPrompt = ("word ").repeat(310).strip();
        robot.interact(() -> vm().prompt.text.set(longPrompt));
        waitUntil("over", () -> vm().prompt.tokenOver.get());
        Label counter = robot.lookup("#tokenCounter").queryAs(Label.class);
        assertEquals("~311 / 300 tokens", counter.getText());
        assertTrue(counter.getPseudoClassStates().contains(javafx.css.PseudoClass.getPseudoClass("over")));
        Label overflow = robot.lookup("#tokenOverflow").queryAs(Label.class);
        assertTrue(overflow.isVisible());
        assertTrue(overflow.getText().startsWith("Will be cut: \u201cword word"), overflow.getText());
        screenshot("06-token-overflow");
    }
}
