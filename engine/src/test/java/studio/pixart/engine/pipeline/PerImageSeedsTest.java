package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;

/** Per-image seeds: image k of a batch is the image a one-image run with seed + k makes. */
class PerImageSeedsTest {
    static GenerationRequest request(String sampler, int numImages, GenerationRequest.SeedMode mode) {
        return new GenerationRequest("tiny", List.of("a red fox in the snow", "a lighthouse at night"), List.of(), 40, 4, 4.5,
                sampler, 24, 16, 16, false, numImages, "cpu", "float32", GenerationRequest.PreviewMode.NONE,
                GenerationRequest.KvCompressionMode.OFF, mode, null, List.of(), "auto");
    }

    /** dpm draws only the start noise; sa also draws during the loop, per image from its generator. */
    @ParameterizedTest
    @ValueSource(strings = {"dpm", "sa"})
    void eachImageOfABatchIsReproducibleAlone(String sampler) {
        Torch.prepareThread();
        try (PixArtPipeline pipe = PixArtPipeline.load(PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString()),
                PipelineOptions.cpu(), null)) {
            GenerationRequest batch = request(sampler, 2, GenerationRequest.SeedMode.PER_IMAGE);
            PixArtPipeline.Result r = pipe.generate(batch, null, () -> false);
            assertEquals(4, r.images().size());
            double worst = 0;
            for (int b = 0; b < 4; b++) {
                int prompt = b / 2;
                GenerationRequest alone = new GenerationRequest("tiny", List.of(batch.prompts().get(prompt)), List.of(), 40 + b,
                        4, 4.5, sampler, 24, 16, 16, false, 1, "cpu", "float32", GenerationRequest.PreviewMode.NONE,
                        GenerationRequest.KvCompressionMode.OFF, GenerationRequest.SeedMode.PER_IMAGE, null, List.of(), "auto");
                PixArtPipeline.Result one = pipe.generate(alone, null, () -> false);
                assertEquals(40L + b, r.metadata().get(b).get("seed"), "seed recorded for image " + b);
                assertEquals("per-image", r.metadata().get(b).get("seed_mode"));
                float[] expected = one.images().get(0).samples();
                float[] actual = r.images().get(b).samples();
                for (int i = 0; i < expected.length; i++) {
                    worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                }
            }
            System.out.printf("%s: image k of a per-image batch vs alone with seed + k: max |Δ| %.2e%n", sampler, worst);
            // Same noise; only the batch size of the matrix products differs (float32 summation order).
            assertTrue(worst <= 1e-5, sampler + ": max |Δ| " + worst);

            // One generator for the batch (the reference's draw) gives other images after the first.
            PixArtPipeline.Result shared = pipe.generate(request(sampler, 2, GenerationRequest.SeedMode.BATCH), null, () -> false);
            assertEquals(40L, shared.metadata().get(3).get("seed"));
            float[] a = shared.images().get(1).samples();
            float[] c = r.images().get(1).samples();
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(a[i] - c[i]));
            }
            assertTrue(diff > 1e-3, "batch and per-image seeds must draw different noise for image 1");
        }
    }

    @Test
    void variationsUseTheNextSeedsEachReproducibleAlone() {
        GenerationRequest base = GenerationRequest.of("tiny", "a red fox").withSeed(7);
        GenerationRequest v = base.variations(3);
        assertEquals(3, v.numImages());
        assertEquals(GenerationRequest.SeedMode.PER_IMAGE, v.seedMode());
        assertEquals(List.of(8L, 9L, 10L), List.of(v.seedFor(0), v.seedFor(1), v.seedFor(2)));
        assertEquals(7L, base.seedFor(2), "one generator for the batch: the batch's seed");
        assertThrows(IllegalArgumentException.class, () -> base.variations(0));
    }
}
