package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.history.HistoryStore;
import studio.pixart.app.settings.AppSettings;
import studio.pixart.app.settings.Preferences;
import studio.pixart.app.vm.PosterExportModel;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.job.PosterSpec;

/**
 * The defects of issue 16 that need no window, each against the view-models with the scripted
 * engine (the numbers in the names are the issue's).
 */
class StudioDefectsTest {
    @TempDir
    Path data;
    FakeGenerationService engine = new FakeGenerationService(5);
    StudioViewModel vm;

    StudioViewModel open() throws InterruptedException {
        vm = new StudioViewModel(StudioContext.defaults().withDataDir(data).withServices(() -> engine)
                .withDevices(() -> List.of("auto", "cpu")), Runnable::run);
        vm.start(null);
        vm.awaitIo();
        return vm;
    }

    @AfterEach
    void close() {
        if (vm != null) {
            vm.close();
        }
    }

    static void await(BooleanSupplier c) throws InterruptedException {
        long end = System.currentTimeMillis() + 10_000;
        while (!c.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("condition not reached in 10 s");
            }
            Thread.sleep(5);
        }
    }

    private void loadTiny() throws InterruptedException {
        vm.model.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        assertTrue(vm.model.info.get() != null && vm.model.info.get().usable(), vm.model.message.get());
    }

    /** Runs one job to its end with {@code steps} steps and a fixed seed. */
    private JobEvent generate(String prompt, long seed, int steps) throws InterruptedException {
        vm.prompt.text.set(prompt);
        vm.form.randomSeed.set(false);
        vm.form.seed.set(seed);
        vm.form.steps.set(steps);
        vm.job.generate();
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        return vm.job.lastOutcome.get();
    }

    private static int occurrences(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void d1d2d8FailedOpenKeepsTheWorkingModelAndErrorsClearOnSuccess() throws Exception {
        open();
        vm.prompt.text.set("a fox");
        vm.job.generate();
        assertEquals("No model loaded", vm.status.error.get().title());
        // whoever waits for loading to end (the self-test) finds the model in place
        var atEnd = new java.util.concurrent.atomic.AtomicReference<Object>();
        vm.model.loading.addListener((o, a, b) -> {
            if (!b) {
                atEnd.set(vm.model.info.get());
            }
        });
        loadTiny();
        assertSame(vm.model.info.get(), atEnd.get());
        assertNull(vm.status.error.get(), "a model that loads clears 'No model loaded'");
        var tiny = vm.model.info.get();
        List<?> classes = List.copyOf(vm.size.sizeClasses);

        Path missing = data.resolve("no-such-model");
        vm.model.loadModel(missing.toString());
        vm.awaitIo();
        assertSame(tiny, vm.model.info.get(), "the working model stays loaded");
        assertEquals(classes, List.copyOf(vm.size.sizeClasses), "the size classes stay the model's");
        assertEquals("Model not opened", vm.status.error.get().title());
        assertEquals(1, occurrences(vm.status.error.get().message(), missing.toString()), vm.status.error.get().message());
        assertEquals(1, occurrences(vm.model.message.get(), missing.toString()), vm.model.message.get());
        assertTrue(vm.model.message.get().contains("Still using"), vm.model.message.get());
        assertEquals(TestSupport.tinyPipeline().toString(), vm.model.spec.get(), "the field shows the model in use");

        Path notAPipeline = Files.createDirectories(data.resolve("just-a-folder"));
        vm.model.loadModel(notAPipeline.toString());
        vm.awaitIo();
        assertSame(tiny, vm.model.info.get());
        assertEquals("not a pipeline folder: no model_index.json in " + notAPipeline, vm.status.error.get().message());

        loadTiny();
        assertNull(vm.status.error.get(), "a later successful open clears the 'not opened' banner");
        assertEquals(TestSupport.tinyPipeline().toString(), vm.model.choices.get(0), "recent models fill the model field's list");
    }

    @Test
    void d5ExportProposesTheShownImagesSeed() throws Exception {
        open();
        loadTiny();
        generate("first", 11, 3);
        generate("second", 22, 3);
        vm.awaitIo();
        await(() -> vm.history.items.size() == 2);
        HistoryEntry first = vm.history.items.get(1);
        assertEquals(11, first.settings().seed());
        vm.history.show(first);
        vm.awaitIo();
        assertEquals(22, vm.form.lastSeed.get());
        assertEquals("pixart-11.png", vm.canvas.suggestedFileName("pixart-{seed}"));
        assertEquals("first-11-3-steps.png", vm.canvas.suggestedFileName("{prompt}-{seed}-{steps}-steps"));
    }

    @Test
    void d9CancelledRunsAreKeptOnlyWhenWantedAndSayWhere() throws Exception {
        engine = new FakeGenerationService(20);
        open();
        loadTiny();
        vm.prompt.text.set("slow");
        vm.form.steps.set(100);
        vm.job.generate();
        await(() -> vm.job.progress.get() > 0.02);
        vm.job.cancel();
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        assertTrue(vm.job.progressText.get().matches("Cancelled at step \\d+ / 100"), vm.job.progressText.get());
        assertTrue(vm.history.items.isEmpty(), "cancelled runs are not kept by default");

        vm.preferences.keepCancelled.set(true);
        vm.preferences.save();
        vm.job.generate();
        await(() -> vm.job.progress.get() > 0.02);
        vm.job.cancel();
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 1);
        HistoryEntry e = vm.history.items.get(0);
        assertEquals(HistoryEntry.Status.CANCELLED, e.status());
        assertTrue(e.message().matches("Cancelled at step \\d+ / 100"), e.message());
    }

    @Test
    void d9d12PosterCancelledWhileUpscalingSaysSoWithEtasAndNoStaleStatus() throws Exception {
        open();
        loadTiny();
        generate("a harbour", 5, 2);
        var settings = vm.canvas.imageSettings.get();
        Path out = data.resolve("posters").resolve("harbour.png");
        PosterSpec spec = new PosterSpec(64, 48, 0.5, false, out, ImageExport.Options.defaults());
        vm.job.exportPoster(settings, spec);
        await(() -> !vm.job.running.get());
        assertTrue(vm.job.lastOutcome.get() instanceof JobEvent.Finished);
        assertEquals("Poster saved to " + out, vm.status.status.get());
        assertTrue(vm.job.progressText.get().endsWith("saved harbour.png"), "the progress row stays short: " + vm.job.progressText.get());

        List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();
        vm.job.progressText.addListener((o, a, b) -> texts.add(b));
        vm.form.steps.set(4);
        vm.job.exportPoster(settings, spec);
        assertEquals("", vm.status.status.get(), "a new job clears the last one's status");
        await(() -> vm.job.progressText.get().startsWith("Upscaling"));
        assertTrue(vm.job.progressText.get().contains("ETA"), "an ETA while upscaling: " + vm.job.progressText.get());
        vm.job.cancel();
        await(() -> !vm.job.running.get());
        assertEquals("Poster cancelled while upscaling", vm.job.progressText.get());
        assertTrue(texts.stream().filter(t -> t.startsWith("Base image")).allMatch(t -> t.contains("ETA") || t.contains("1 / ")),
                "base steps show an ETA: " + texts);
    }

    @Test
    void d10EachImageOfABatchHasItsOwnSeed() throws Exception {
        open();
        loadTiny();
        vm.form.numImages.set(3);
        generate("three boats", 40, 2);
        await(() -> vm.history.items.size() == 3);
        assertTrue(vm.job.progressText.get().contains("seed 40\u201342"), vm.job.progressText.get());
        List<HistoryEntry> items = List.copyOf(vm.history.items);
        var seeds = items.stream().map(e -> e.settings().seed()).sorted().toList();
        assertEquals(List.of(40L, 41L, 42L), seeds);
        HistoryEntry second = items.stream().filter(e -> e.settings().seed() == 41).findFirst().orElseThrow();
        assertEquals(1, second.imageIndex());
        assertEquals("image 2 of 3", second.message());
        assertEquals(1, second.settings().numImages(), "its settings make that image alone");
        vm.history.restoreFrom(second);
        assertEquals(41, vm.form.seed.get());
        assertEquals(1, vm.form.numImages.get());
        assertEquals(40, vm.canvas.imageSettings.get().seed(), "the canvas shows the first image with its own seed");
    }

    @Test
    void d11DeleteClearsTheCanvasCanBeUndoneAndSearchSaysNoMatch() throws Exception {
        open();
        loadTiny();
        generate("a red kite", 3, 2);
        await(() -> vm.history.items.size() == 1);
        HistoryEntry e = vm.history.items.get(0);
        vm.history.show(e);
        vm.awaitIo();
        assertEquals(e.id(), vm.canvas.sourceId.get());
        vm.history.delete(e);
        assertTrue(vm.history.items.isEmpty());
        assertNull(vm.canvas.image.get(), "the deleted image leaves the canvas");
        vm.history.undoDelete();
        vm.awaitIo();
        assertEquals(1, vm.history.items.size(), "undo puts it back");

        vm.history.delete(vm.history.items.get(0));
        vm.history.commitDelete();
        vm.awaitIo();
        vm.history.refresh();
        vm.awaitIo();
        assertTrue(vm.history.items.isEmpty(), "committed: gone from the database");
        vm.close();
        vm = null;
        try (HistoryStore store = HistoryStore.open(data)) {
            assertTrue(store.search("", 10).isEmpty());
        }
        open();
        assertEquals("Finished images appear here.", vm.history.emptyText.get());
        vm.history.query.set("zebra");
        assertEquals("No match for \u201czebra\u201d", vm.history.emptyText.get());
    }

    @Test
    void d12PosterDialogSaysItCreatesTheFolderAndRemembersTheLastOne() throws Exception {
        open();
        loadTiny();
        Path outFolder = data.resolve("not-yet");
        vm.preferences.outputFolder.set(outFolder.toString());
        vm.preferences.save();
        PosterExportModel m = vm.newPosterExport();
        assertEquals(outFolder.resolve("poster.png").toString(), m.destination.get());
        assertEquals("The folder " + outFolder + " does not exist yet: Run creates it.", m.destinationNote.get());
        m.destination.set(data.resolve("poster.png").toString());
        assertEquals("", m.destinationNote.get());

        generate("a lake", 9, 2);
        Path chosen = data.resolve("mine").resolve("lake.png");
        vm.job.exportPoster(vm.canvas.imageSettings.get(), new PosterSpec(64, 64, 0.5, false, chosen, ImageExport.Options.defaults()));
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        assertEquals(chosen.getParent().resolve("poster.png").toString(), vm.newPosterExport().destination.get(),
                "the dialog opens where the last poster went");
        assertEquals(chosen.getParent().toString(), AppSettings.load(data.resolve("settings.json")).lastPosterFolder());
    }

    @Test
    void d14CudaIsOfferedOnlyWhenTheBuildHasIt() throws Exception {
        AppSettings.empty().withPreferences(Preferences.defaults().withDevice("cuda")).save(data.resolve("settings.json"));
        open();
        assertEquals(List.of("auto", "cpu"), List.copyOf(vm.preferences.devices));
        assertEquals("auto", vm.preferences.device.get(), "a saved 'cuda' falls back to auto without CUDA");
        assertEquals("auto", vm.form.form().device());
        assertFalse(StudioContext.engineDevices().isEmpty());
        if (!StudioContext.engineDevices().contains("cuda")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> studio.pixart.engine.plan.Planner.useGpu("cuda", false, studio.pixart.engine.plan.MachineInfo.gpuStatus()));
            assertTrue(e.getMessage().startsWith("device cuda: the GPU cannot be used"),
                    "no CLI flag in the studio's message: " + e.getMessage());
            assertNotNull(e.getMessage());
        }
    }

    @Test
    void d13ExportsAndHistoryImagesFollowTheUmask() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(data.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "file modes need a POSIX file system");
        open();
        loadTiny();
        generate("a tidy file", 3, 2);
        await(() -> vm.history.items.size() == 1);
        Path exported = data.resolve("exported.png");
        vm.canvas.export(exported, null);
        vm.awaitIo();
        // what the umask gives any new file is the oracle: images must come out the same
        Path probe = Files.createFile(data.resolve("probe"));
        var expected = Files.getPosixFilePermissions(probe);
        assertEquals(expected, Files.getPosixFilePermissions(exported), "export");
        try (var images = Files.list(data.resolve("images"))) {
            for (Path p : images.toList()) {
                assertEquals(expected, Files.getPosixFilePermissions(p), "history image " + p.getFileName());
            }
        }
        assertEquals(expected, Files.getPosixFilePermissions(data.resolve("settings.json")), "settings.json");
    }
}
