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
        vm.prompt.set("a lighthouse in a storm");
        assertEquals("~6 / 300 tokens", vm.tokenLabel.get());
        assertFalse(vm.tokenOver.get());
        vm.generate();
        assertEquals("No model loaded", vm.error.get().title());
        assertEquals("a lighthouse in a storm", vm.prompt.get(), "nothing typed is lost");
        assertFalse(vm.running.get());
    }

    @Test
    void sizeFollowsRatioAndModel() throws Exception {
        open();
        vm.aspect.set(vm.aspectRatios.stream().filter(a -> a.label().equals("16:9")).findFirst().orElseThrow());
        assertEquals("Generates 1344 \u00d7 768  \u2192  delivers 1368 \u00d7 768", vm.sizeLabel.get());
        vm.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        assertNotNull(vm.model.get());
        assertTrue(vm.model.get().usable(), vm.modelMessage.get());
        assertEquals(16, vm.model.get().nativeSize());
        assertEquals(1, vm.sizeClasses.size(), "a 16 px model offers its native size only");
        assertEquals(new SizeClass("16", 16), vm.sizeClass.get());
        // sample size 8 has no bin table: exact size on the VAE x patch grid (4 px), binning off, said so
        assertEquals(4, vm.model.get().sizeMultiple());
        assertEquals("Generates 24 \u00d7 16  \u2192  delivers 24 \u00d7 16  \u00b7  no binning (no size table for sample size 8)",
                vm.sizeLabel.get());
        assertFalse(vm.plannedSize.get().binned());
        assertFalse(vm.binningAvailable.get());
        assertTrue(vm.model.get().components().get("transformer").contains("float32"), vm.model.get().components().toString());
        // with the model's tokenizer the count is exact and says what is cut
        vm.prompt.set("a red fox");
        await(() -> vm.tokenLabel.get().matches("\\d+ / 300 tokens"));
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
        vm.aspect.set(vm.aspectRatios.stream().filter(a -> a.label().equals("16:9")).findFirst().orElseThrow());
        vm.binning.set(false);
        assertEquals("Generates 1376 \u00d7 768  \u2192  delivers 1376 \u00d7 768  \u00b7  no binning", vm.sizeLabel.get());
        assertEquals(1376, vm.form().width(), "without binning the form asks for what is generated");
        vm.binning.set(true);
        assertEquals("Generates 1344 \u00d7 768  \u2192  delivers 1368 \u00d7 768", vm.sizeLabel.get());
        assertTrue(vm.binningAvailable.get());
    }

    @Test
    void generateStreamsPreviewsFinishesAndKeepsHistory() throws Exception {
        open();
        vm.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        vm.prompt.set("a paper boat");
        vm.steps.set(4);
        vm.randomSeed.set(false);
        vm.seed.set(77);
        int[] previews = {0};
        vm.image.addListener((o, a, b) -> previews[0]++);
        vm.generate();
        assertTrue(vm.running.get());
        await(() -> vm.lastOutcome.get() != null);
        assertTrue(vm.lastOutcome.get() instanceof JobEvent.Finished, String.valueOf(vm.lastOutcome.get()));
        assertEquals(1.0, vm.progress.get());
        assertTrue(previews[0] >= 4, "previews + final image shown");
        assertFalse(vm.imageIsPreview.get());
        assertEquals(77, vm.imageSettings.get().seed());
        assertEquals(77, engine.requests.get(0).seed());
        assertEquals(TestSupport.tinyPipeline().toString(), engine.requests.get(0).model());
        assertFalse(engine.requests.get(0).binning(), "the tiny model has no bin table: binning off in the request");
        assertEquals(16, engine.requests.get(0).width());
        vm.awaitIo();
        await(() -> vm.historyItems.size() == 1);
        HistoryEntry e = vm.historyItems.get(0);
        assertEquals("a paper boat", e.settings().prompt());
        assertEquals(HistoryEntry.Status.FINISHED, e.status());

        // export without an extension: PNG, with the settings (the engine's metadata plus the form)
        java.nio.file.Path[] written = {null};
        vm.export(data.resolve("boat"), f -> written[0] = f);
        vm.awaitIo();
        assertEquals(data.resolve("boat.png"), written[0]);
        assertEquals(vm.imageSettings.get(), studio.pixart.app.io.ImageFiles.readSettings(written[0]));

        // random seed: a fresh one, and "reuse last seed" brings it back as a fixed seed
        vm.randomSeed.set(true);
        vm.generate();
        await(() -> !vm.running.get());
        long used = vm.lastSeed.get();
        vm.seed.set(5);
        vm.reuseLastSeed();
        assertFalse(vm.randomSeed.get());
        assertEquals(used, vm.seed.get());
    }

    @Test
    void cancelStopsAtOnceAndFailureKeepsTheForm() throws Exception {
        engine = new FakeGenerationService(50);
        open();
        vm.loadModel(TestSupport.tinyPipeline().toString());
        vm.awaitIo();
        vm.prompt.set("slow one");
        vm.steps.set(100);
        vm.generate();
        await(() -> vm.progress.get() > 0);
        vm.cancel();
        await(() -> !vm.running.get());
        assertTrue(vm.lastOutcome.get() instanceof JobEvent.Cancelled);
        vm.awaitIo();
        await(() -> vm.historyItems.size() == 1);
        assertEquals(HistoryEntry.Status.CANCELLED, vm.historyItems.get(0).status());

        engine.failWith("not enough memory for 4096x4096 on cpu");
        vm.steps.set(3);
        vm.generate();
        await(() -> !vm.running.get());
        assertEquals("not enough memory for 4096x4096 on cpu", vm.error.get().message());
        assertEquals("Try a smaller size or fewer images.", vm.error.get().advice());
        assertEquals("slow one", vm.prompt.get());
        assertEquals(3, vm.steps.get());
        vm.dismissError();
        assertNull(vm.error.get());
    }

    @Test
    void formIsRememberedAcrossRestarts() throws Exception {
        open();
        vm.prompt.set("remember me");
        vm.aspect.set(AspectRatio.closest(vm.aspectRatios, 9, 16));
        vm.close();
        vm = null;
        open();
        assertEquals("remember me", vm.prompt.get());
        assertEquals("9:16", vm.aspect.get().label());
    }
}
