package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.stage.Stage;
import javafx.stage.Window;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;
import studio.pixart.app.vm.ErrorInfo;
import studio.pixart.app.vm.PosterExportModel;
import studio.pixart.app.vm.StudioViewModel;

/**
 * Every window and dialog of the studio at 1024×700 (a small laptop) and 1600×1000, in the states
 * a person sees (no model, a finished image with a long status, an error, a deleted image), walked
 * by {@link LayoutCheck}: no labelled control may be cut and none may lie outside its window.
 * Saves a screenshot of each into target/screenshots. The engine is the scripted one (the layout
 * does not depend on the pixels); the model is the tiny golden pipeline.
 */
class StudioWindowsTest {
    static final int[][] SIZES = {{1024, 700}, {1600, 1000}};

    @TempDir
    Path data;
    private final FxRobot robot = new FxRobot();
    private StudioApp app;
    private final List<String> problems = new ArrayList<>();

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

    private StudioViewModel vm() {
        return app.viewModel();
    }

    static void waitUntil(String what, Callable<Boolean> condition) {
        try {
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, condition);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for: " + what);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void launch() throws TimeoutException {
        FakeGenerationService engine = new FakeGenerationService(2);
        StudioContext ctx = StudioContext.defaults().withDataDir(data).withServices(() -> engine)
                .withDevices(() -> List.of("auto", "cpu"));
        app = (StudioApp) FxToolkit.setupApplication(() -> new StudioApp(ctx));
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void resize(int w, int h) {
        robot.interact(() -> {
            Stage s = app.stage();
            s.setWidth(w);
            s.setHeight(h);
            s.centerOnScreen();
        });
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** Checks a scene and saves its screenshot as {@code name}. */
    private void check(String name, Scene scene) throws Exception {
        WaitForAsyncUtils.waitForFxEvents();
        List<String> found = WaitForAsyncUtils.asyncFx(() -> LayoutCheck.problems(scene)).get(10, TimeUnit.SECONDS);
        found.forEach(p -> problems.add(name + ": " + p));
        var img = WaitForAsyncUtils.asyncFx(() -> scene.snapshot(null)).get(10, TimeUnit.SECONDS);
        Path dir = TestSupport.screenshots();
        Files.createDirectories(dir);
        ImageIO.write(SwingFXUtils.fromFXImage(img, null), "png", dir.resolve(name + ".png").toFile());
    }

    private void fire(String menuItemId) {
        robot.interact(() -> {
            MenuBar bar = (MenuBar) app.stage().getScene().lookup(".menu-bar");
            for (Menu m : bar.getMenus()) {
                for (MenuItem i : m.getItems()) {
                    if (menuItemId.equals(i.getId())) {
                        i.fire();
                        return;
                    }
                }
            }
            throw new AssertionError("no menu item #" + menuItemId);
        });
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** The window opened last besides the main one. */
    private Window dialog() {
        waitUntil("a dialog", () -> Window.getWindows().stream().anyMatch(w -> w != app.stage() && w.isShowing()
                && w instanceof Stage));
        return Window.getWindows().stream().filter(w -> w != app.stage() && w.isShowing() && w instanceof Stage)
                .reduce((a, b) -> b).orElseThrow();
    }

    /** Opens a dialog from the menu, checks it (it must also fit on the screen), closes it. */
    private void checkDialog(String name, String menuItemId) throws Exception {
        fire(menuItemId);
        Window d = dialog();
        WaitForAsyncUtils.waitForFxEvents();
        check(name, d.getScene());
        var screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        if (d.getWidth() > screen.getWidth() + 1 || d.getHeight() > screen.getHeight() + 1) {
            problems.add(name + ": the dialog (" + d.getWidth() + "\u00d7" + d.getHeight() + ") is larger than the screen");
        }
        robot.interact(d::hide);
    }

    @Test
    void everyWindowAndDialogFitsAtBothSizes() throws Exception {
        launch();
        for (int[] size : SIZES) {
            String at = size[0] + "x" + size[1];
            resize(size[0], size[1]);
            robot.interact(() -> {
                vm().history.query.set("");
                vm().canvas.clear();
            });
            check("main-" + at + "-1-start", app.stage().getScene());
            if (vm().model.info.get() == null) {
                robot.interact(() -> vm().model.loadModel(TestSupport.tinyPipeline().toString()));
                waitUntil("model", () -> vm().model.info.get() != null);
            }
            robot.interact(() -> {
                vm().prompt.text.set("a lighthouse on a cliff at sunset, dramatic clouds, volumetric light, 35 mm photo");
                vm().form.steps.set(3);
                vm().job.generate();
            });
            waitUntil("finished", () -> !vm().job.running.get() && vm().job.lastOutcome.get() != null);
            // the longest status and progress texts the studio writes (a poster saved deep in a folder)
            String longPath = "/home/somebody/Pictures/PixArt Studio/posters/2026/november/a-lighthouse-on-a-cliff-at-sunset-wallpaper-4k.png";
            robot.interact(() -> {
                vm().status.status.set("Poster saved to " + longPath);
                vm().job.progressText.set("Done in 1 min 12 s  \u00b7  seed 4294967295\u20134294967297  \u00b7  saved a-lighthouse-wallpaper-4k.png");
            });
            check("main-" + at + "-2-finished", app.stage().getScene());
            var bar = robot.lookup("#progressBar").query();
            if (bar.getLayoutBounds().getWidth() < 120) {
                problems.add("main-" + at + ": the progress bar is squeezed to " + bar.getLayoutBounds().getWidth() + " px");
            }
            robot.interact(() -> vm().status.error.set(new ErrorInfo("Model not opened",
                    "not a pipeline folder: no model_index.json in /home/somebody/Downloads/some-folder-with-a-long-name",
                    studio.pixart.app.vm.ModelViewModel.NO_MODEL_ADVICE)));
            check("main-" + at + "-3-error", app.stage().getScene());
            robot.interact(() -> {
                vm().status.dismissError();
                vm().history.query.set("no such prompt");
            });
            check("main-" + at + "-4-no-match", app.stage().getScene());
            robot.interact(() -> vm().history.query.set(""));
            waitUntil("history", () -> !vm().history.items.isEmpty());

            // the queue panel with a running job and two waiting ones
            robot.interact(() -> {
                vm().form.steps.set(400);
                vm().job.generate();
                vm().job.generate();
                vm().job.generate();
            });
            waitUntil("queue", () -> vm().job.waiting.get() == 2);
            check("main-" + at + "-5-queue", app.stage().getScene());
            robot.interact(() -> {
                List.copyOf(vm().job.queue).forEach(j -> vm().job.cancel(j));
                vm().form.steps.set(3);
            });
            waitUntil("queue empty", () -> vm().job.queue.isEmpty());

            // image to image with an inpainting mask painted on the canvas
            robot.interact(() -> {
                vm().startImage.use(vm().canvas.image.get(), "the canvas image");
                vm().startImage.inpaint.set(true);
                vm().startImage.brushSize.set(6);
                vm().startImage.paint(8, 8);
            });
            check("main-" + at + "-6-inpaint", app.stage().getScene());
            robot.interact(() -> vm().startImage.clear());

            checkDialog("dialog-" + at + "-preferences", "preferencesMenu");
            checkDialog("dialog-" + at + "-batch", "batchMenu");
            checkGallery(at, size);
            checkDialog("dialog-" + at + "-shortcuts", "shortcutsMenu");
            checkDialog("dialog-" + at + "-about", "aboutMenu");
            checkDialog("dialog-" + at + "-poster", "posterMenu");
            checkDialog("dialog-" + at + "-download", "downloadMenu");
            fire("posterMenu");
            Window poster = dialog();
            robot.interact(() -> ((javafx.scene.control.ComboBox<String>) poster.getScene().lookup("#posterPreset")).setValue("poster-a2"));
            check("dialog-" + at + "-poster-a2", poster.getScene());
            String[] seen = new String[3];
            robot.interact(() -> {
                // The size fields take digits only; a typed size switches the preset to custom.
                var width = (javafx.scene.control.Spinner<Integer>) poster.getScene().lookup("#posterWidth");
                var preset = (javafx.scene.control.ComboBox<String>) poster.getScene().lookup("#posterPreset");
                seen[0] = width.getEditor().getText();
                width.getEditor().setText("12ab");
                seen[1] = width.getEditor().getText();
                width.getEditor().setText("2000");
                seen[2] = width.getValue() + " " + preset.getValue();
            });
            assertEquals(seen[0], seen[1], "letters are refused in the poster width");
            assertEquals("2000 " + PosterExportModel.CUSTOM, seen[2], "a typed width counts and makes the size custom");
            robot.interact(poster::hide);
        }
        // the light theme: the same window, light panels
        robot.interact(() -> vm().preferences.theme.set("light"));
        check("main-1600x1000-light", app.stage().getScene());
        var panel = (javafx.scene.layout.Region) robot.lookup("#modelPanel").query();
        assertTrue(luminance(panel) > 0.7, "light panels: " + panel.getBackground().getFills());
        assertEquals("", String.join("\n", problems), problems.size() + " layout problems");
        assertTrue(problems.isEmpty());
    }

    /** The gallery at the window's size with an image selected, then the comparison of two. */
    private void checkGallery(String at, int[] size) throws Exception {
        if (vm().history.items.size() < 2) {
            robot.interact(() -> vm().job.variations(vm().history.items.get(0).settings(), 1));
            waitUntil("two images", () -> vm().history.items.size() >= 2);
        }
        fire("galleryMenu");
        Stage gallery = (Stage) dialog();
        robot.interact(() -> {
            gallery.setWidth(size[0]);
            gallery.setHeight(size[1]);
            vm().gallery.selected.set(vm().history.items.get(1));
        });
        waitUntil("gallery image", () -> vm().gallery.selectedImage.get() != null);
        check("gallery-" + at, gallery.getScene());
        // the keyboard walks the grid: Left goes from the second image to the first
        robot.interact(() -> gallery.getScene().lookup("#galleryGrid").requestFocus());
        robot.type(javafx.scene.input.KeyCode.LEFT);
        waitUntil("Left selects the previous image", () -> vm().gallery.selected.get() != null
                && vm().gallery.selected.get().id() == vm().history.items.get(0).id());
        robot.type(javafx.scene.input.KeyCode.RIGHT);
        waitUntil("Right selects the next image", () -> vm().gallery.selected.get().id() == vm().history.items.get(1).id());
        robot.interact(() -> {
            vm().gallery.pin();
            vm().gallery.selected.set(vm().history.items.get(0));
        });
        waitUntil("second image", () -> vm().gallery.selectedImage.get() != null);
        robot.interact(() -> ((javafx.scene.control.Button) gallery.getScene().lookup("#galleryCompare")).fire());
        Window compare = Window.getWindows().stream().filter(w -> w.isShowing() && w != gallery && w != app.stage()
                && w instanceof Stage).reduce((a, b) -> b).orElseThrow();
        check("compare-" + at, compare.getScene());
        robot.interact(() -> {
            compare.hide();
            vm().gallery.unpin();
            gallery.hide();
        });
    }

    @Test
    void d6d7d15NumberFieldsTheModelListAndHelp() throws Exception {
        launch();
        // 6: the Steps field refuses letters; typed numbers count without Enter (Images too)
        @SuppressWarnings("unchecked")
        javafx.scene.control.Spinner<Integer> steps = robot.lookup("#stepsSpinner").queryAs(javafx.scene.control.Spinner.class);
        @SuppressWarnings("unchecked")
        javafx.scene.control.Spinner<Integer> images = robot.lookup("#imagesSpinner").queryAs(javafx.scene.control.Spinner.class);
        robot.interact(() -> vm().form.steps.set(20));
        resize(1600, 1000);
        // the settings are at the bottom of the left panel: scroll there
        robot.interact(() -> ((javafx.scene.control.ScrollPane) app.stage().getScene().lookup(".sidebar-scroll")).setVvalue(1));
        robot.clickOn(steps.getEditor());
        robot.interact(() -> steps.getEditor().selectAll());
        robot.write("abc");
        assertEquals("20", steps.getEditor().getText());
        assertEquals(20, vm().form.steps.get());
        robot.interact(() -> steps.getEditor().selectAll());
        robot.write("12");
        assertEquals(12, vm().form.steps.get(), "a typed value counts without Enter");
        robot.clickOn(images.getEditor());
        robot.interact(() -> images.getEditor().selectAll());
        robot.write("3");
        assertEquals(3, vm().form.numImages.get(), "the Images field takes typed values");
        robot.interact(() -> images.getEditor().selectAll());
        robot.write("9");
        robot.clickOn("#promptArea");
        assertEquals(8, vm().form.numImages.get(), "above the range: the largest allowed, shown");
        assertEquals("8", images.getEditor().getText());

        // 7: the model field's list is dark and says what it is for, then lists the recent models
        robot.clickOn("#modelSpec .arrow-button");
        WaitForAsyncUtils.waitForFxEvents();
        javafx.scene.control.ListView<?> popup = popupList();
        assertTrue(luminance(popup) < 0.3, "the drop-down is dark: " + popup.getBackground().getFills());
        var placeholder = (javafx.scene.control.Label) popup.getPlaceholder();
        assertTrue(placeholder.isVisible() && placeholder.getText().startsWith("No recent models yet"), placeholder.getText());
        robot.type(javafx.scene.input.KeyCode.ESCAPE);
        robot.interact(() -> vm().model.loadModel(TestSupport.tinyPipeline().toString()));
        waitUntil("model", () -> vm().model.info.get() != null);
        assertEquals(List.of(TestSupport.tinyPipeline().toString()), List.copyOf(vm().model.choices));

        // 15: shortcuts in two aligned columns, with Ctrl+Shift+E, Ctrl+Q and TIFF; About has the version
        fire("shortcutsMenu");
        Window keys = dialog();
        var table = (javafx.scene.layout.GridPane) keys.getScene().lookup("#shortcutsTable");
        List<javafx.scene.control.Label> cells = table.getChildren().stream().map(n -> (javafx.scene.control.Label) n).toList();
        List<String> texts = cells.stream().map(javafx.scene.control.Label::getText).toList();
        assertTrue(texts.contains("Ctrl+Shift+E") && texts.contains("Ctrl+Q"), texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.contains("TIFF")), texts.toString());
        var columns = cells.stream().collect(java.util.stream.Collectors.groupingBy(
                javafx.scene.layout.GridPane::getColumnIndex,
                java.util.stream.Collectors.mapping(l -> Math.round(l.getBoundsInParent().getMinX()), java.util.stream.Collectors.toSet())));
        assertEquals(2, columns.size());
        columns.values().forEach(xs -> assertEquals(1, xs.size(), "each column starts at one x: " + columns));
        robot.interact(keys::hide);
        fire("aboutMenu");
        Window about = dialog();
        String version = ((javafx.scene.control.Label) about.getScene().lookup("#aboutVersion")).getText();
        assertTrue(version.matches("Version \\d+\\.\\d+\\.\\d+.*"), version);
        robot.interact(about::hide);
    }

    private javafx.scene.control.ListView<?> popupList() {
        waitUntil("the drop-down", () -> Window.getWindows().stream().anyMatch(w -> w instanceof javafx.stage.PopupWindow
                && w.isShowing() && w.getScene().getRoot().lookup(".list-view") != null));
        return (javafx.scene.control.ListView<?>) Window.getWindows().stream()
                .filter(w -> w instanceof javafx.stage.PopupWindow && w.isShowing())
                .map(w -> w.getScene().getRoot().lookup(".list-view")).filter(java.util.Objects::nonNull)
                .findFirst().orElseThrow();
    }

    /** The relative luminance of a region's innermost background fill (0 black, 1 white). */
    private static double luminance(javafx.scene.layout.Region r) {
        var fills = r.getBackground().getFills();
        var c = (javafx.scene.paint.Color) fills.get(fills.size() - 1).getFill();
        if (c.getOpacity() < 1) {
            return 1; // see-through: what shows is the popup window's default white
        }
        return 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
    }
}
