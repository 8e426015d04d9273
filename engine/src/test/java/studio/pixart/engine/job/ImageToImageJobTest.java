package studio.pixart.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.ImageToImage;

/** An image-to-image job through the engine service: steps counted from where the schedule starts. */
class ImageToImageJobTest {
    @Test
    void stepsAndEtaCountOnlyTheStepsRun() throws Exception {
        float[] grey = new float[32 * 32 * 3];
        java.util.Arrays.fill(grey, 0.5f);
        GenerationRequest req = new GenerationRequest(Golden.model("tiny-pixart-sigma").toString(), List.of("a red fox"),
                List.of(), 1, 10, 4.5, "dpm", 32, 32, 16, false, 1, "cpu", "float32", GenerationRequest.PreviewMode.NONE,
                GenerationRequest.KvCompressionMode.OFF, GenerationRequest.SeedMode.BATCH, null, List.of(), "auto")
                .withImageToImage(ImageToImage.of(new RgbImage(32, 32, grey), 0.4));
        List<JobEvent.Step> steps = new CopyOnWriteArrayList<>();
        try (EngineService engine = new EngineService(null, new ModelLocator())) {
            JobHandle h = engine.submit(req, e -> {
                if (e instanceof JobEvent.Step s) {
                    steps.add(s);
                }
            });
            assertInstanceOf(JobEvent.Finished.class, h.done().get(120, TimeUnit.SECONDS));
        }
        // strength 0.4 of 10 steps: steps 7..10 run
        assertEquals(List.of(7, 8, 9, 10), steps.stream().map(JobEvent.Step::step).toList());
        JobEvent.Step first = steps.get(0);
        // after one step run the estimate is that step's time for each of the 3 left
        assertEquals(first.elapsed().toNanos() * 3, first.eta().toNanos());
    }
}
