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

    SelfTest(StudioViewModel vm, String model) {
        this.vm = vm;
        this.model = model;
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
            vm.job.generate();
            if (!vm.job.running.get()) {
                exit(1, "self-test: generation did not start: " + (vm.status.error.get() == null ? "" : vm.status.error.get().message()));
            }
        });
        vm.job.lastOutcome.addListener((o, a, ev) -> {
            if (ev instanceof JobEvent.Finished f) {
                var img = f.images().get(0);
                exit(0, "self-test: OK, generated " + img.width() + "x" + img.height() + " in " + f.timings());
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
