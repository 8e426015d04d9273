package studio.pixart.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;
import studio.pixart.engine.poster.PosterPipeline;
import studio.pixart.engine.preview.PreviewKind;

/**
 * Poster jobs through the engine's job service, with the tiny PixArt-Σ pipeline whose VAE
 * down-samples 8× (base at its 256-px bin, refinement at a small 640 × 384 target): stage events,
 * live previews, the exact size, the file with its DPI and parameters, cancel during the
 * refinement, and the error on an unwritable destination.
 */
class PosterJobTest {
    static final String MODEL = Golden.model("tiny-pixart-sigma-256").toString();
    static EngineService engine;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        Torch.prepareThread();
        engine = new EngineService(null, new ModelLocator());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    static GenerationRequest request(int steps, PreviewMode preview) {
        return new GenerationRequest(MODEL, List.of("a lighthouse at night"), List.of(), 5, steps, 1.0, "dpm",
                0, 0, 16, false, 1, "cpu", "float32", preview, GenerationRequest.KvCompressionMode.AUTO,
                GenerationRequest.SeedMode.BATCH, null, List.of(), "auto");
    }

    @Test
    void posterJobReportsStagesPreviewsAndWritesTheExactSize() throws IOException {
        Path out = dir.resolve("sub/poster.png");
        EngineServiceTest.Recorder rec = new EngineServiceTest.Recorder();
        JobHandle h = engine.submitPoster(request(2, PreviewMode.FAST),
                new PosterSpec(640, 384, 0.5, false, out, new ImageExport.Options(150, false, 0.95f)), rec);
        JobEvent end = EngineServiceTest.await(h);
        JobEvent.Finished fin = assertInstanceOf(JobEvent.Finished.class, end, () -> "ended with " + end);
        assertEquals(JobHandle.State.FINISHED, h.state());
        assertEquals(1, fin.images().size());
        assertEquals(640, fin.images().get(0).width());
        assertEquals(384, fin.images().get(0).height());
        assertEquals(640, fin.metadata().get(0).get("width"));
        assertTrue(fin.timings().containsKey("export"), fin.timings()::toString);

        List<PosterPipeline.Stage> stages = new java.util.ArrayList<>();
        for (JobEvent.Stage s : rec.all(JobEvent.Stage.class)) {
            if (stages.isEmpty() || !stages.get(stages.size() - 1).equals(s.stage())) {
                stages.add(s.stage());
            }
        }
        // the base image is decoded once before the upscale, the refined one at the end
        assertEquals(List.of(PosterPipeline.Stage.BASE, PosterPipeline.Stage.DECODE, PosterPipeline.Stage.UPSCALE,
                PosterPipeline.Stage.REFINE, PosterPipeline.Stage.DECODE), stages);
        for (JobEvent.Stage s : rec.all(JobEvent.Stage.class)) {
            assertTrue(s.done() >= 0 && s.done() <= s.total(), s::toString);
        }
        // base: 2 steps, refinement: strength 0.5 of 2 = 1 step, each with its Step event and a fast preview
        assertEquals(3, rec.all(JobEvent.Step.class).size(), rec.events::toString);
        assertFalse(rec.all(JobEvent.Preview.class).isEmpty(), "live previews of the x0 estimate");
        assertTrue(rec.all(JobEvent.Preview.class).stream().allMatch(p -> p.kind() == PreviewKind.FAST));
        // the refinement's preview is the latent of the 640 x 384 work size (8x down-sampled)
        assertTrue(rec.all(JobEvent.Preview.class).stream().anyMatch(p -> p.image().width() == 80 && p.image().height() == 48),
                rec.all(JobEvent.Preview.class)::toString);

        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(384, img.getHeight());
        Map<String, String> text = ImageExport.readPngText(out);
        assertTrue(text.get("parameters").startsWith("a lighthouse at night"), text::toString);
        assertTrue(text.get("parameters").contains("Size: 640x384"), text.get("parameters"));
        assertTrue(text.get(ImageExport.JSON_KEY).contains("\"refined_at\""), text::toString);
        try (var files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temp file left behind");
        }
    }

    @Test
    void cancelDuringTheRefinementEndsCancelledAndWritesNothing() {
        Path out = dir.resolve("cancelled.png");
        JobHandle[] handle = new JobHandle[1];
        java.util.concurrent.CountDownLatch submitted = new java.util.concurrent.CountDownLatch(1);
        EngineServiceTest.Recorder rec = new EngineServiceTest.Recorder(e -> {
            // cancelled as the refinement starts (VAE encode, then 3 steps): it stops between steps
            if (e instanceof JobEvent.Stage s && s.stage() == PosterPipeline.Stage.UPSCALE && s.done() == 1) {
                awaitQuietly(submitted);
                handle[0].cancel();
            }
        });
        // 6 steps at strength 0.5: the refinement runs the last 3 of the schedule
        handle[0] = engine.submitPoster(request(6, PreviewMode.NONE), new PosterSpec(640, 384, 0.5, false, out, null), rec);
        submitted.countDown();
        JobEvent end = EngineServiceTest.await(handle[0]);
        assertInstanceOf(JobEvent.Cancelled.class, end, () -> "ended with " + end + " after " + rec.events);
        assertEquals(JobHandle.State.CANCELLED, handle[0].state());
        assertTrue(rec.all(JobEvent.Stage.class).stream().noneMatch(s -> s.stage() == PosterPipeline.Stage.REFINE && s.done() == s.total()),
                () -> "the refinement did not finish: " + rec.events);
        assertFalse(Files.exists(out), "nothing written");
        // the worker goes on: the next job runs normally
        JobEvent next = EngineServiceTest.await(engine.submitPoster(request(1, PreviewMode.NONE),
                new PosterSpec(64, 64, 0.5, false, null, null), null));
        assertInstanceOf(JobEvent.Finished.class, next, next::toString);
    }

    @Test
    void unwritableDestinationFailsWithAClearMessage() throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("not-a-folder"), "x");
        Path out = notAFolder.resolve("p.png");
        // 64 x 64 is below the base bin: a resize, no refinement, so the test is quick
        JobEvent end = EngineServiceTest.await(engine.submitPoster(request(1, PreviewMode.NONE),
                new PosterSpec(64, 64, 0.5, false, out, null), null));
        JobEvent.Failed f = assertInstanceOf(JobEvent.Failed.class, end, end::toString);
        assertTrue(f.message().contains("could not write the poster to " + out), f.message());
        assertTrue(f.advice().contains("writable"), f.advice());
    }

    @Test
    void unknownFormatIsRejectedAtSubmit() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new PosterSpec(640, 384, 0.5, false, Path.of("poster.bmp"), null));
        assertTrue(e.getMessage().contains("use .png, .jpg or .tif"), e.getMessage());
    }

    private static void awaitQuietly(java.util.concurrent.CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
