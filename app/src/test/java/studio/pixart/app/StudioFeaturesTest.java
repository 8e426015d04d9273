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
}
