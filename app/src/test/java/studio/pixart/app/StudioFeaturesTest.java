package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.settings.AppSettings;
import studio.pixart.app.vm.QueuedJob;
import studio.pixart.app.vm.StudioViewModel;

/** The queue, variations, prompt batches and preferences, on the view-models with the scripted engine. */
class StudioFeaturesTest {
    @TempDir
    Path data;
    FakeGenerationService engine = new FakeGenerationService(15);
    StudioViewModel vm;

    StudioViewModel open() throws InterruptedException {
        vm = new StudioViewModel(StudioContext.defaults().withDataDir(data).withServices(() -> engine)
                .withDevices(() -> List.of("auto", "cpu")), Runnable::run);
        vm.start(null);
        vm.awaitIo();
        vm.model.loadModel(TestSupport.tinyPipeline().toString());
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
        long end = System.currentTimeMillis() + 20_000;
        while (!c.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("condition not reached in 20 s");
            }
            Thread.sleep(5);
        }
    }

    private void queue(String prompt, long seed) {
        vm.prompt.text.set(prompt);
        vm.form.seed.set(seed);
        vm.job.generate();
    }

    @Test
    void generateWhileRunningQueuesAndWaitingJobsCanBeReorderedAndCancelled() throws Exception {
        open();
        vm.form.randomSeed.set(false);
        vm.form.steps.set(6);
        queue("one", 1);
        queue("two", 2);
        queue("three", 3);
        queue("four", 4);
        assertEquals(4, vm.job.queue.size());
        assertEquals(QueuedJob.State.RUNNING, vm.job.queue.get(0).state.get());
        assertEquals(3, vm.job.waiting.get());
        assertEquals("Waiting (3 ahead)", vm.job.queue.get(3).progressText.get());
        QueuedJob four = vm.job.queue.get(3);
        vm.job.move(four, -1);
        vm.job.move(four, -1);
        assertEquals(List.of("one", "four", "two", "three"), vm.job.queue.stream().map(j -> j.settings.prompt()).toList());
        vm.job.move(vm.job.queue.get(1), -1); // the running job keeps its place
        assertEquals("one", vm.job.queue.get(0).settings.prompt());
        vm.job.cancel(vm.job.queue.stream().filter(j -> j.settings.prompt().equals("two")).findFirst().orElseThrow());
        assertEquals(3, vm.job.queue.size());
        await(() -> vm.job.queue.isEmpty() && !vm.job.running.get());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 3);
        assertEquals(List.of(1L, 4L, 3L), engine.requests.stream().map(r -> r.seed()).toList(), "the engine ran them in queue order");
        assertEquals(List.of("three", "four", "one"), vm.history.items.stream().map(e -> e.settings().prompt()).toList());
    }

    @Test
    void variationsAndPromptBatchesAreQueuedJobs() throws Exception {
        open();
        vm.form.randomSeed.set(false);
        vm.form.steps.set(2);
        queue("a lighthouse", 100);
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        var source = vm.canvas.imageSettings.get();
        vm.job.variations(source, 3);
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 4);
        assertEquals(List.of(101L, 102L, 103L), vm.history.items.stream().limit(3).map(e -> e.settings().seed()).sorted().toList(),
                "variations use the next seeds, one per image");

        vm.form.steps.set(30);
        vm.job.generateBatch("a red fox\n\n  a blue whale  \na green frog\n");
        assertEquals(3, vm.job.queue.size());
        assertEquals("batch 2 / 3", vm.job.queue.get(1).group);
        assertTrue(vm.job.queue.get(2).detail().contains("batch 3 / 3"), vm.job.queue.get(2).detail());
        await(() -> vm.job.queue.isEmpty() && !vm.job.running.get());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 7);
        assertEquals(List.of("a green frog", "a blue whale", "a red fox"),
                vm.history.items.stream().limit(3).map(e -> e.settings().prompt()).toList());
        vm.job.generateBatch(" \n ");
        assertEquals("The batch has no prompts.", vm.status.error.get().message());
    }

    @Test
    void preferencesAreSavedWithTheSettingsAndUsed() throws Exception {
        open();
        vm.preferences.fileNamePattern.set("{date}-{seed}");
        assertEquals("2026-01-31-1234.png", vm.preferences.fileNameExample.get());
        vm.preferences.theme.set("light");
        vm.preferences.keepCancelled.set(true);
        vm.preferences.precision.set("float32");
        vm.preferences.historyFolder.set(data.resolve("elsewhere").toString());
        vm.preferences.save();
        vm.awaitIo();
        var saved = AppSettings.load(data.resolve("settings.json")).preferences();
        assertEquals("{date}-{seed}", saved.fileNamePattern());
        assertEquals("light", saved.theme());
        assertTrue(saved.keepCancelled());
        assertEquals("float32", vm.form.form().dtype(), "the form runs with the preferred precision");
        vm.preferences.theme.set("dark");
        vm.preferences.revert();
        assertEquals("light", vm.preferences.theme.get(), "revert shows what is saved");
        vm.close();
        vm = null;
        open();
        assertEquals("light", vm.preferences.theme.get());
        vm.form.randomSeed.set(false);
        vm.form.steps.set(2);
        queue("stored elsewhere", 5);
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 1);
        assertTrue(java.nio.file.Files.exists(data.resolve("elsewhere").resolve("history.mv.db")),
                "the history lives where the preferences say (from the next start)");
        assertFalse(vm.history.items.isEmpty());
        assertEquals(HistoryEntry.Status.FINISHED, vm.history.items.get(0).status());
    }

    @Test
    void galleryShowsDetailsStarsFavouritesAndComparesTwoImages() throws Exception {
        open();
        vm.form.randomSeed.set(false);
        vm.form.steps.set(2);
        vm.prompt.negative.set("blurry");
        queue("a quiet harbour", 7);
        await(() -> !vm.job.running.get());
        vm.form.steps.set(3);
        queue("a quiet harbour at night", 8);
        await(() -> !vm.job.running.get());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 2);
        var older = vm.history.items.get(1);
        vm.gallery.selected.set(older);
        vm.awaitIo();
        assertTrue(vm.gallery.selectedImage.get() != null, "the full image is loaded");
        java.util.Map<String, String> details = new java.util.HashMap<>();
        vm.gallery.details.forEach(e -> details.put(e.getKey(), e.getValue()));
        assertEquals("a quiet harbour", details.get("Prompt"));
        assertEquals("blurry", details.get("Negative prompt"));
        assertEquals("DPM++ 2M", details.get("Sampler"));
        assertEquals("2", details.get("Steps"));
        assertEquals("4.5", details.get("Guidance"));
        assertEquals("7", details.get("Seed"));
        assertEquals("16 \u00d7 16", details.get("Size"));
        assertTrue(details.get("Model").startsWith("PixArt-\u03a3 16px"), String.valueOf(details.get("Model")));
        assertTrue(String.valueOf(details.get("Timings")).contains("total"), String.valueOf(details.get("Timings")));

        vm.gallery.toggleFavourite();
        assertTrue(vm.gallery.selected.get().favourite());
        vm.awaitIo();
        vm.history.favouritesOnly.set(true);
        vm.awaitIo();
        assertEquals(List.of(older.id()), vm.history.items.stream().map(HistoryEntry::id).toList());
        vm.history.favouritesOnly.set(false);
        vm.awaitIo();
        assertEquals(2, vm.history.items.size());

        vm.gallery.pin();
        vm.gallery.selected.set(vm.history.items.get(0));
        var diff = studio.pixart.app.vm.GalleryViewModel.differences(vm.gallery.pinned.get(), vm.gallery.selected.get());
        assertEquals(List.of("Prompt", "Steps", "Seed"), List.copyOf(diff.keySet()));
        assertEquals("2", diff.get("Steps")[0]);
        assertEquals("3", diff.get("Steps")[1]);

        // the arrow keys' moves: by one, by a row (clamped at the ends), Home/End, and from no selection
        vm.gallery.selected.set(vm.history.items.get(0));
        vm.gallery.moveSelection(1);
        assertEquals(vm.history.items.get(1).id(), vm.gallery.selected.get().id());
        vm.gallery.moveSelection(-5);
        assertEquals(vm.history.items.get(0).id(), vm.gallery.selected.get().id(), "stops at the first image");
        vm.gallery.moveSelection(Integer.MAX_VALUE);
        assertEquals(vm.history.items.get(1).id(), vm.gallery.selected.get().id(), "End: the last image");
        vm.gallery.selected.set(null);
        vm.gallery.moveSelection(1);
        assertEquals(vm.history.items.get(0).id(), vm.gallery.selected.get().id(), "nothing selected: the first image");
    }

    @Test
    void startImageWithStrengthAndAPaintedMask() throws Exception {
        open();
        var img = FakeGenerationService.picture(40, 20, 3, 1.0);
        vm.startImage.use(img, "a test picture");
        assertEquals("2:1", vm.size.aspect.get().label(), "the aspect ratio follows the start image");
        vm.startImage.strength.set(0.35);
        var start = vm.startImage.toStart();
        assertEquals(0.35, start.strength());
        assertEquals(null, start.mask(), "image to image: no mask");

        vm.startImage.inpaint.set(true);
        vm.prompt.text.set("a cat");
        vm.job.generate();
        assertEquals("Nothing to repaint", vm.status.error.get().title(), "inpainting needs a painted area");
        assertTrue(vm.job.queue.isEmpty());

        vm.startImage.brushSize.set(6);
        vm.startImage.paint(10, 10);
        assertEquals(1f, vm.startImage.maskAt(10, 10));
        assertEquals(1f, vm.startImage.maskAt(12, 10), "inside the brush's radius");
        assertEquals(0f, vm.startImage.maskAt(14, 10), "outside it");
        vm.startImage.tool.set(studio.pixart.app.vm.StartImageViewModel.Tool.ERASER);
        vm.startImage.brushSize.set(2);
        vm.startImage.paint(10.5, 10.5);
        assertEquals(0f, vm.startImage.maskAt(10, 10), "erased");
        assertEquals(1f, vm.startImage.maskAt(12, 10));
        var mask = vm.startImage.toStart().mask();
        assertEquals(40, mask.width());
        assertEquals(20, mask.height());
        assertEquals(1f, mask.sample(12, 10, 0));
        assertEquals(0f, mask.sample(30, 5, 1));
        vm.job.generate();
        await(() -> !engine.requests.isEmpty());
        var i2i = engine.requests.get(engine.requests.size() - 1).imageToImage();
        assertTrue(i2i != null && i2i.inpainting(), "the engine request starts from the image with the mask");
        assertEquals(0.35, i2i.strength());
        assertEquals(1f, i2i.mask().sample(12, 10, 0));
        await(() -> !vm.job.running.get());
        double cover = vm.startImage.maskCoverage.get();
        assertTrue(cover > 0 && cover < 0.1, "coverage " + cover);
        vm.startImage.invertMask();
        assertEquals(1 - cover, vm.startImage.maskCoverage.get(), 1e-9);
        vm.startImage.clearMask();
        assertEquals(null, vm.startImage.toStart().mask());
        // Undo: Clear, then Invert, back to the painted mask; then a stroke
        vm.startImage.undoMask();
        assertEquals(1 - cover, vm.startImage.maskCoverage.get(), 1e-9, "undo Clear");
        vm.startImage.undoMask();
        assertEquals(cover, vm.startImage.maskCoverage.get(), 1e-9, "undo Invert");
        assertEquals(1f, vm.startImage.maskAt(12, 10));
        vm.startImage.tool.set(studio.pixart.app.vm.StartImageViewModel.Tool.BRUSH);
        vm.startImage.beginStroke();
        vm.startImage.paint(30, 5);
        vm.startImage.paint(32, 5);
        assertEquals(1f, vm.startImage.maskAt(31, 5));
        vm.startImage.undoMask();
        assertEquals(0f, vm.startImage.maskAt(31, 5), "the whole stroke is undone at once");
        assertEquals(cover, vm.startImage.maskCoverage.get(), 1e-9);
        vm.startImage.clearMask();
        vm.startImage.clear();
        assertEquals(null, vm.startImage.toStart(), "cleared: text to image again");
    }
}
