package studio.pixart.engine.poster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.ImageResize;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.GenerationRequest.KvCompressionMode;

class PosterPlanTest {
    static final PipelineFolder TINY_256 = PipelineFolder.open(Golden.model("tiny-pixart-sigma-256").toString());

    @Test
    void printPresetsRenderAtDpiAndCapTheLongSide() {
        ExportPresets p = ExportPresets.load();
        ExportPresets.Preset a4 = p.find("poster-a4", 300);
        assertEquals(2480, a4.width());
        assertEquals(3508, a4.height());
        assertEquals(300, a4.dpi());
        assertFalse(a4.capped());
        ExportPresets.Preset a3 = p.find("A3 poster", 300);
        assertTrue(a3.capped());
        assertEquals(4096, a3.height());
        assertEquals(2896, a3.width());
        assertTrue(a3.dpi() < 300);
        ExportPresets.Preset wall = p.find("wallpaper-4k", 0);
        assertEquals(3840, wall.width());
        assertEquals(0, wall.dpi());
        assertTrue(p.all(300).size() >= 16);
        assertThrows(IllegalArgumentException.class, () -> p.find("nope", 300));
    }

    @Test
    void planUsesTheModelBinAndRoundsTheWorkSize() {
        PosterPipeline.Plan plan = PosterPipeline.plan(TINY_256, 3840, 2160, 0.35, false, KvCompressionMode.AUTO, 2);
        assertEquals(336, plan.baseWidth()); // 256-bin "0.57": 192 x 336
        assertEquals(192, plan.baseHeight());
        assertEquals(3840, plan.workWidth());
        assertEquals(2160, plan.workHeight());
        assertTrue(plan.refine());
        assertTrue(plan.kvCompression(), "auto turns KV compression on at >= 3K");
        PosterPipeline.Plan a4 = PosterPipeline.plan(TINY_256, 2480, 3508, 0.35, false, KvCompressionMode.AUTO, 2);
        assertEquals(3520, a4.workHeight()); // rounded up to 16 (VAE 8 x patch 2), cropped at the end
        assertEquals(2480, a4.workWidth());
        assertTrue(a4.kvCompression());
        PosterPipeline.Plan small = PosterPipeline.plan(TINY_256, 200, 120, 0.35, false, KvCompressionMode.AUTO, 2);
        assertFalse(small.refine(), "not larger than the base: a resize suffices");
        assertFalse(small.kvCompression());
        assertThrows(IllegalArgumentException.class, () -> PosterPipeline.plan(TINY_256, 20000, 100, 0.35, false, KvCompressionMode.OFF, 2));
        assertThrows(IllegalArgumentException.class, () -> PosterPipeline.plan(TINY_256, 1000, 1000, 0, false, KvCompressionMode.OFF, 2));
    }

    @Test
    void coverKeepsAspectAndExactSize() {
        float[] s = new float[30 * 20 * 3];
        java.util.Arrays.fill(s, 0.4f);
        RgbImage flat = new RgbImage(30, 20, s);
        RgbImage big = ImageResize.cover(flat, 97, 41);
        assertEquals(97, big.width());
        assertEquals(41, big.height());
        for (float v : big.samples()) {
            assertEquals(0.4f, v, 1e-5f, "Lanczos weights sum to one");
        }
    }

    @Test
    void lanczosFollowsARampAndAntiAliasesDownscales() {
        int n = 64;
        float[] ramp = new float[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                ramp[y * n + x] = x / (float) (n - 1);
            }
        }
        float[] up = ImageResize.lanczos(ramp, 1, n, n, 256, 256);
        // interior of a linear ramp is reproduced (Lanczos is exact on linear functions away from edges)
        for (int x = 32; x < 224; x += 7) {
            double src = (x + 0.5) * n / 256.0 - 0.5;
            assertEquals(src / (n - 1), up[128 * 256 + x], 2e-3);
        }
        float[] checker = new float[n * n];
        for (int i = 0; i < checker.length; i++) {
            checker[i] = ((i / n + i % n) % 2 == 0) ? 1f : 0f;
        }
        float[] down = ImageResize.lanczos(checker, 1, n, n, 16, 16);
        for (float v : java.util.Arrays.copyOfRange(down, 16 * 5, 16 * 10)) {
            assertEquals(0.5f, v, 0.05f, "a checkerboard averages out instead of aliasing");
        }
    }
}
