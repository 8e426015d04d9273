package studio.pixart.app;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import javafx.application.Platform;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.job.JobEvent;

/**
 * {@code --self-test MODEL}: the installer's smoke test through the real window. Loads the model,
 * generates one image at the smallest size the model offers with 2 steps (on the real engine,
 * binning as the size planner says), and exits 0; any error prints the message and advice and
 * exits 1 (model problems) or 3 (timeout). Needs a display: headless, run it under
 * {@code xvfb-run -a}.
 */
final class SelfTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private final StudioViewModel vm;
    private final String model;
    /** The window's root: Generate is started by a Ctrl+Enter key event on it, as a person would. */
    private final javafx.scene.Parent root;
    /** When Ctrl+Enter was pressed for the current run, and its first preview (nanoTime; 0 = not yet). */
    private long pressedAt;
    private long firstPreviewAt;
    private final java.util.List<String> runs = new java.util.ArrayList<>();

    SelfTest(StudioViewModel vm, String model, javafx.scene.Parent root) {
        this.vm = vm;
        this.model = model;
        this.root = root;
    }

    /** Prints how long the window took to show its first frame (from the JVM's start). */
    static void reportFirstFrame(javafx.scene.Scene scene) {
        long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        Runnable[] once = new Runnable[1];
        once[0] = () -> {
            scene.removePostLayoutPulseListener(once[0]);
            System.out.println("self-test: first frame " + (System.currentTimeMillis() - jvmStart) + " ms after the JVM started");
        };
        scene.addPostLayoutPulseListener(once[0]);
    }

    /** Ctrl+Enter on the window, timed to the first preview on the canvas. */
    private void pressCtrlEnter() {
        firstPreviewAt = 0;
        pressedAt = System.nanoTime();
        javafx.event.Event.fireEvent(root, new javafx.scene.input.KeyEvent(javafx.scene.input.KeyEvent.KEY_PRESSED, "", "",
                javafx.scene.input.KeyCode.ENTER, false, true, false, false));
    }

    /** History and settings of a self-test go to a temp folder, never into the user's gallery. */
    static StudioContext context(StudioContext base) {
        try {
            return base.withDataDir(Files.createTempDirectory("pixart-studio-selftest"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temp folder for the self-test: " + e.getMessage(), e);
        }
    }

    void run() {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TIMEOUT.toMillis());
                exit(3, "self-test: timed out after " + TIMEOUT.toMinutes() + " min");
            } catch (InterruptedException ignored) {
                // finished in time
            }
        }, "self-test-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        vm.model.loading.addListener((o, a, loading) -> {
            if (loading) {
                return;
            }
            var m = vm.model.info.get();
            if (m == null || !m.usable()) {
                exit(1, "self-test: model not usable: " + vm.model.message.get());
                return;
            }
            System.out.println("self-test: model " + m.label() + " at " + m.root());
            vm.prompt.text.set("a red apple on a wooden table");
            vm.size.sizeClass.set(vm.size.sizeClasses.get(0));
            vm.form.steps.set(2);
            vm.form.numImages.set(1);
            vm.form.randomSeed.set(false);
            vm.form.seed.set(1);
            if (vm.form.previewMode.get() == studio.pixart.engine.pipeline.GenerationRequest.PreviewMode.NONE) {
                vm.form.previewMode.set(studio.pixart.engine.pipeline.GenerationRequest.PreviewMode.FAST);
            }
            pressCtrlEnter();
            if (!vm.job.running.get()) {
                exit(1, "self-test: generation did not start: " + (vm.status.error.get() == null ? "" : vm.status.error.get().message()));
            }
        });
        vm.canvas.image.addListener((o, a, img) -> {
            if (img != null && vm.canvas.imageIsPreview.get() && firstPreviewAt == 0 && pressedAt != 0) {
                firstPreviewAt = System.nanoTime();
            }
        });
        vm.job.lastOutcome.addListener((o, a, ev) -> {
            if (ev instanceof JobEvent.Finished f) {
                var img = f.images().get(0);
                long done = System.nanoTime();
                String run = (runs.isEmpty() ? "cold" : "warm") + ": Ctrl+Enter \u2192 first preview "
                        + (firstPreviewAt == 0 ? "none" : (firstPreviewAt - pressedAt) / 1_000_000 + " ms") + ", \u2192 image "
                        + (done - pressedAt) / 1_000_000 + " ms (" + img.width() + "x" + img.height() + ", " + f.timings() + ")";
                runs.add(run);
                System.out.println("self-test: " + run);
                if (runs.size() == 1) {
                    // again with the engine warm (model loaded, prompt embedding cached)
                    javafx.application.Platform.runLater(this::pressCtrlEnter);
                } else {
                    exit(0, "self-test: OK, generated " + img.width() + "x" + img.height() + " twice");
                }
            } else if (ev instanceof JobEvent.Failed f) {
                exit(1, "self-test: generation failed: " + f.message() + "\n  advice: " + f.advice());
            } else if (ev instanceof JobEvent.Cancelled) {
                exit(1, "self-test: job was cancelled");
            }
        });
        vm.model.loadModel(model);
    }

    /** The self-test's own temp folder (history, embedding cache) goes away with it. */
    static void deleteTempData(java.nio.file.Path dir) {
        if (dir == null || !dir.getFileName().toString().startsWith("pixart-studio-selftest")) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a leftover temp folder is harmless
        }
    }

    private void exit(int code, String message) {
        (code == 0 ? System.out : System.err).println(message);
        Platform.runLater(() -> {
            vm.close();
            deleteTempData(vm.context().dataDir());
            Platform.exit();
            System.exit(code);
        });
    }
}
