package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.model.AspectRatio;
import studio.pixart.app.model.SizeClass;
import studio.pixart.app.model.WordTokenCounter;
import studio.pixart.app.vm.StudioViewModel;
import studio.pixart.engine.job.JobEvent;

/** The view-model without any window: properties and actions, events delivered directly. */
class StudioViewModelTest {
    @TempDir
    Path data;
    FakeGenerationService engine = new FakeGenerationService(5);
    StudioViewModel vm;

    StudioViewModel open() throws InterruptedException {
        vm = new StudioViewModel(StudioContext.defaults().withDataDir(data).withServices(() -> engine), Runnable::run);
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
            Thread.sleep(10);
        }
    }

    @Test
    void wordCounterEstimatesAndShowsWhatIsCut() {
        WordTokenCounter c = new WordTokenCounter(5);
        assertEquals(4, c.count("a red fox").tokens()); // 3 words + </s>
        var over = c.count("one two three four five six");
        assertTrue(over.over());
        assertEquals("five six", over.overflowText());
        assertEquals("~7 / 5 tokens", over.label());
    }

    @Test
    void withoutModelThePromptStillWorksAndGenerateExplains() throws Exception {
        open();
        vm.prompt.text.set("a lighthouse in a storm");
        assertEquals("~6 / 300 tokens", vm.prompt.tokenLabel.get());
        assertFalse(vm.prompt.tokenOver.get());
        vm.job.generate();
        assertEquals("No model loaded", vm.status.error.get().title());
        assertEquals("a lighthouse in a storm", vm.prompt.text.get(), "nothing typed is lost");
        assertFalse(vm.job.running.get());
    }

    @Test
    void sizeFollowsRatioAndModel() throws Exception {
        open();
        vm.size.aspect.set(vm.size.aspectRatios.stream().filter(a -> a.label().equals("16:9")).findFirst().orElseThrow());
        assertEquals("Generates 1344 \u00d7 768  \u2192  delivers 1368 \u00d7 768", vm.size.sizeLabel.get());
        vm.model.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        assertNotNull(vm.model.info.get());
        assertTrue(vm.model.info.get().usable(), vm.model.message.get());
        assertEquals(16, vm.model.info.get().nativeSize());
        assertEquals(1, vm.size.sizeClasses.size(), "a 16 px model offers its native size only");
        assertEquals(new SizeClass("16", 16), vm.size.sizeClass.get());
        // sample size 8 has no bin table: exact size on the VAE x patch grid (4 px), binning off, said so
        assertEquals(4, vm.model.info.get().sizeMultiple());
        assertEquals("Generates 24 \u00d7 16  \u2192  delivers 24 \u00d7 16  \u00b7  no binning (no size table for sample size 8)",
                vm.size.sizeLabel.get());
        assertFalse(vm.size.plannedSize.get().binned());
        assertFalse(vm.size.binningAvailable.get());
        assertTrue(vm.model.info.get().components().get("transformer").contains("float32"), vm.model.info.get().components().toString());
        // with the model's tokenizer the count is exact and says what is cut
        vm.prompt.text.set("a red fox");
        await(() -> vm.prompt.tokenLabel.get().matches("\\d+ / 300 tokens"));
        var t5 = studio.pixart.app.model.T5TokenCounter.load(TestSupport.tinyPipeline().resolve("tokenizer"), 5)
                .count("a red fox jumping over a lazy dog");
        assertTrue(t5.over() && t5.exact(), t5.toString());
        assertTrue(t5.overflowText().endsWith("lazy dog"), t5.overflowText());
    }

    @Test
    void binningFollowsTheEnginesTableAndCanBeSwitchedOff() throws Exception {
        open();
        var planner = new studio.pixart.app.model.SizePlanner();
        // PixArt-Σ 1024 (sample size 128): 21:9 snaps to the 0.43 bin
        var p = planner.plan(1560, 672, null, true);
        assertEquals(1536, p.generatedWidth());
        assertEquals(640, p.generatedHeight());
        assertEquals(1560, p.deliveredWidth());
        assertTrue(p.binned());
        vm.size.aspect.set(vm.size.aspectRatios.stream().filter(a -> a.label().equals("16:9")).findFirst().orElseThrow());
        vm.size.binning.set(false);
        assertEquals("Generates 1376 \u00d7 768  \u2192  delivers 1376 \u00d7 768  \u00b7  no binning", vm.size.sizeLabel.get());
        assertEquals(1376, vm.form.form().width(), "without binning the form asks for what is generated");
        vm.size.binning.set(true);
        assertEquals("Generates 1344 \u00d7 768  \u2192  delivers 1368 \u00d7 768", vm.size.sizeLabel.get());
        assertTrue(vm.size.binningAvailable.get());
    }

    @Test
    void generateStreamsPreviewsFinishesAndKeepsHistory() throws Exception {
        open();
        vm.model.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        vm.prompt.text.set("a paper boat");
        vm.form.steps.set(4);
        vm.form.randomSeed.set(false);
        vm.form.seed.set(77);
        int[] previews = {0};
        vm.canvas.image.addListener((o, a, b) -> previews[0]++);
        vm.job.generate();
        assertTrue(vm.job.running.get());
        await(() -> vm.job.lastOutcome.get() != null);
        assertTrue(vm.job.lastOutcome.get() instanceof JobEvent.Finished, String.valueOf(vm.job.lastOutcome.get()));
        assertEquals(1.0, vm.job.progress.get());
        assertTrue(previews[0] >= 4, "previews + final image shown");
        assertFalse(vm.canvas.imageIsPreview.get());
        assertEquals(77, vm.canvas.imageSettings.get().seed());
        assertEquals(77, engine.requests.get(0).seed());
        assertEquals(TestSupport.tinyPipeline().toString(), engine.requests.get(0).model());
        assertFalse(engine.requests.get(0).binning(), "the tiny model has no bin table: binning off in the request");
        assertEquals(16, engine.requests.get(0).width());
        vm.awaitIo();
        await(() -> vm.history.items.size() == 1);
        HistoryEntry e = vm.history.items.get(0);
        assertEquals("a paper boat", e.settings().prompt());
        assertEquals(HistoryEntry.Status.FINISHED, e.status());

        // export without an extension: PNG, with the settings (the engine's metadata plus the form)
        java.nio.file.Path[] written = {null};
        vm.canvas.export(data.resolve("boat"), f -> written[0] = f);
        vm.awaitIo();
        assertEquals(data.resolve("boat.png"), written[0]);
        assertEquals(vm.canvas.imageSettings.get(), studio.pixart.app.io.ImageFiles.readSettings(written[0]));

        // random seed: a fresh one, and "reuse last seed" brings it back as a fixed seed
        vm.form.randomSeed.set(true);
        vm.job.generate();
        await(() -> !vm.job.running.get());
        long used = vm.form.lastSeed.get();
        vm.form.seed.set(5);
        vm.form.reuseLastSeed();
        assertFalse(vm.form.randomSeed.get());
        assertEquals(used, vm.form.seed.get());
    }

    @Test
    void cancelStopsAtOnceAndFailureKeepsTheForm() throws Exception {
        engine = new FakeGenerationService(50);
        open();
        vm.preferences.keepCancelled.set(true); // cancelled runs stay in the history (a preference, off by default)
        vm.preferences.save();
        vm.model.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        vm.prompt.text.set("slow one");
        vm.form.steps.set(100);
        vm.job.generate();
        await(() -> vm.job.progress.get() > 0);
        vm.job.cancel();
        await(() -> !vm.job.running.get());
        assertTrue(vm.job.lastOutcome.get() instanceof JobEvent.Cancelled);
        vm.awaitIo();
        await(() -> vm.history.items.size() == 1);
        assertEquals(HistoryEntry.Status.CANCELLED, vm.history.items.get(0).status());

        engine.failWith("not enough memory for 4096x4096 on cpu");
        vm.form.steps.set(3);
        vm.job.generate();
        await(() -> !vm.job.running.get());
        assertEquals("not enough memory for 4096x4096 on cpu", vm.status.error.get().message());
        assertEquals("Try a smaller size or fewer images.", vm.status.error.get().advice());
        assertEquals("slow one", vm.prompt.text.get());
        assertEquals(3, vm.form.steps.get());
        vm.status.dismissError();
        assertNull(vm.status.error.get());
    }

    @Test
    void formIsRememberedAcrossRestarts() throws Exception {
        open();
        vm.prompt.text.set("remember me");
        vm.size.aspect.set(AspectRatio.closest(vm.size.aspectRatios, 9, 16));
        vm.close();
        vm = null;
        open();
        assertEquals("remember me", vm.prompt.text.get());
        assertEquals("9:16", vm.size.aspect.get().label());
    }
}
