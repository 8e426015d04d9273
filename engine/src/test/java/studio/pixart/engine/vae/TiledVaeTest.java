package studio.pixart.engine.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.nd.Torch;

class TiledVaeTest {
    /**
     * Measured (random-weight VAE, SDXL layout, widths 8/16/16/16, 64×96 latent, tiles of 32
     * with overlap 8): max |tiled − untiled| of the [0, 1] images 0.229, mean 0.0102 (GroupNorm
     * statistics are per tile; random weights exaggerate this). Stated tolerances:
     */
    static final double MAX_IMAGE_DIFF = 0.3;
    static final double MEAN_IMAGE_DIFF = 0.02;

    @TempDir
    static Path dir;
    static AutoencoderKL vae;

    @BeforeAll
    static void build() throws IOException {
        Torch.prepareThread();
        VaeConfig c = RandomVae.sdxlLayout(new int[] {8, 16, 16, 16}, 4);
        vae = AutoencoderKL.load(RandomVae.write(dir.resolve("vae"), c, 1234));
    }

    @AfterAll
    static void close() {
        vae.close();
    }

    @Test
    void spansCoverTheAxisAndRampsSumToOne() {
        for (int n : new int[] {5, 24, 25, 64, 96, 270, 480}) {
            List<TiledVae.Span> s = TiledVae.spans(n, 24, 8);
            assertEquals(0, s.get(0).start());
            assertEquals(n, s.get(s.size() - 1).end());
            float[] sum = new float[n * 8];
            for (TiledVae.Span sp : s) {
                float[] w = TiledVae.ramp(sp, 8);
                for (int i = 0; i < w.length; i++) {
                    sum[sp.start() * 8 + i] += w[i];
                }
            }
            for (int i = 0; i < sum.length; i++) {
                assertEquals(1f, sum[i], 1e-5f, "n=" + n + " at " + i);
            }
            for (int k = 1; k < s.size(); k++) {
                assertTrue(s.get(k - 1).end() - s.get(k).start() >= 8, "overlap at least 8");
            }
        }
    }

    @Test
    void tiledDecodeMatchesUntiledWithoutSeams() {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(7);
            NDArray z = m.randomNormal(new Shape(1, 4, 64, 96));
            long t0 = System.nanoTime();
            float[] full = AutoencoderKL.toImage(vae.decode(z));
            long t1 = System.nanoTime();
            List<int[]> progress = new ArrayList<>();
            NDArray tiledSample = TiledVae.decodeTiled(vae, z, TiledVae.TileOptions.fixed(32, 8),
                    (d, t) -> progress.add(new int[] {d, t}), () -> false);
            long t2 = System.nanoTime();
            assertEquals(m, tiledSample.getManager());
            assertArrayEquals(new long[] {1, 3, 512, 768}, tiledSample.getShape().getShape());
            float[] tiled = AutoencoderKL.toImage(tiledSample);
            // 64 rows: tiles of 32 with overlap ≥ 8 → 3; 96 columns → 4.
            assertEquals(12, progress.size());
            for (int i = 0; i < progress.size(); i++) {
                assertArrayEquals(new int[] {i + 1, 12}, progress.get(i));
            }
            double max = Golden.maxDiff(full, tiled);
            double mean = 0;
            for (int i = 0; i < full.length; i++) {
                mean += Math.abs(full[i] - tiled[i]);
            }
            mean /= full.length;
            // Seams: the mean |horizontal/vertical step| across every tile edge, relative to the
            // image's mean step, must be no larger than in the untiled decode at the same places.
            List<Integer> colEdges = edges(TiledVae.spans(96, 32, 8), 8);
            List<Integer> rowEdges = edges(TiledVae.spans(64, 32, 8), 8);
            double seamTiled = seamRatio(tiled, 512, 768, rowEdges, colEdges);
            double seamFull = seamRatio(full, 512, 768, rowEdges, colEdges);
            System.out.printf("tiled vs untiled 512x768: max %.4f mean %.5f; seam ratio tiled %.3f untiled %.3f;"
                    + " untiled %.2fs tiled %.2fs%n", max, mean, seamTiled, seamFull, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
            assertTrue(max <= MAX_IMAGE_DIFF, "max diff " + max);
            assertTrue(mean <= MEAN_IMAGE_DIFF, "mean diff " + mean);
            assertTrue(seamTiled <= 1.1 && seamTiled <= seamFull * 1.1 + 0.02,
                    "seam ratio " + seamTiled + " (untiled " + seamFull + ")");
        }
    }

    private static List<Integer> edges(List<TiledVae.Span> spans, int f) {
        List<Integer> e = new ArrayList<>();
        for (TiledVae.Span s : spans) {
            if (s.start() > 0) {
                e.add(s.start() * f);
            }
            if (s.overlapAfter() > 0) {
                e.add(s.end() * f);
            }
        }
        return e;
    }

    /** mean |I(p) − I(p−1)| across the given row/column edges ÷ the mean over the whole image. */
    static double seamRatio(float[] nhwc, int h, int w, List<Integer> rowEdges, List<Integer> colEdges) {
        double all = 0;
        long nAll = 0;
        double at = 0;
        long nAt = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 1; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    double d = Math.abs(nhwc[(y * w + x) * 3 + c] - nhwc[(y * w + x - 1) * 3 + c]);
                    all += d;
                    nAll++;
                    if (colEdges.contains(x)) {
                        at += d;
                        nAt++;
                    }
                }
            }
        }
        for (int y = 1; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    double d = Math.abs(nhwc[(y * w + x) * 3 + c] - nhwc[((y - 1) * w + x) * 3 + c]);
                    all += d;
                    nAll++;
                    if (rowEdges.contains(y)) {
                        at += d;
                        nAt++;
                    }
                }
            }
        }
        return (at / nAt) / (all / nAll);
    }

    @Test
    void oneTileIsExactlyTheUntiledDecode() {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(3);
            NDArray z = m.randomNormal(new Shape(2, 4, 6, 10));
            float[] full = vae.decode(z).toFloatArray();
            int[] calls = {0};
            float[] tiled = TiledVae.decodeTiled(vae, z, TiledVae.TileOptions.auto(), (d, t) -> {
                calls[0]++;
                assertEquals(1, t);
            }, null).toFloatArray();
            assertArrayEquals(full, tiled);
            assertEquals(1, calls[0]);
        }
    }

    @Test
    void cancellationStopsBetweenTiles() {
        try (NDManager m = Torch.newManager()) {
            NDArray z = m.zeros(new Shape(1, 4, 16, 16));
            int[] done = {0};
            CancellationException e = assertThrows(CancellationException.class, () -> TiledVae.decodeTiled(vae, z,
                    TiledVae.TileOptions.fixed(8, 2), (d, t) -> done[0] = d, () -> done[0] >= 2));
            assertEquals(2, done[0]);
            assertTrue(e.getMessage().contains("2 of 9"), e.getMessage());
        }
    }

    @Test
    void tiledEncodeMatchesUntiled() {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(11);
            // A smooth image (a decoded latent) is what gets encoded in practice.
            NDArray image = vae.decode(m.randomNormal(new Shape(1, 4, 24, 32))).clip(-1, 1);
            AutoencoderKL.Moments full = vae.encodeMoments(image);
            List<Integer> seen = new ArrayList<>();
            AutoencoderKL.Moments tiled = TiledVae.encodeTiled(vae, image, TiledVae.TileOptions.fixed(16, 4),
                    (d, t) -> seen.add(t), () -> false);
            assertEquals(full.mean().getShape(), tiled.mean().getShape());
            float[] a = full.mean().toFloatArray();
            float[] b = tiled.mean().toFloatArray();
            double max = Golden.maxDiff(a, b);
            double scale = 0;
            for (float v : a) {
                scale = Math.max(scale, Math.abs(v));
            }
            double meanDiff = 0;
            double meanRef = 0;
            for (int i = 0; i < a.length; i++) {
                meanDiff += Math.abs(a[i] - b[i]) / a.length;
                meanRef += Math.abs(a[i]) / a.length;
            }
            System.out.printf("tiled encode 192x256: %d tiles, max |Δmean| %.4f (max |mean| %.3f), mean |Δmean| %.4f"
                    + " (mean |mean| %.3f), max |Δlogvar| %.4f%n", seen.size(), max, scale, meanDiff, meanRef,
                    Golden.maxDiff(full.logvar().toFloatArray(), tiled.logvar().toFloatArray()));
            assertEquals(6, seen.size());
            // Measured: max 1.30 of max |mean| 6.6 (20 %), mean |Δ| 0.138 of mean |mean| 1.06 (13 %):
            // 128-px tiles through a 4-level random-weight encoder are small, every tile edge is
            // near zero padding. Stated tolerances: max ≤ 30 %, mean ≤ 20 %.
            assertTrue(max <= 0.3 * scale, "tiled encode mean differs by " + max + " (scale " + scale + ")");
            assertTrue(meanDiff <= 0.2 * meanRef, "tiled encode mean differs on average by " + meanDiff);
            assertThrows(IllegalArgumentException.class, () -> TiledVae.encodeTiled(vae,
                    m.zeros(new Shape(1, 3, 100, 64)), TiledVae.TileOptions.auto(), null, null));
        }
    }

    @Test
    void automaticTileStaysWithinTheBudget() {
        VaeConfig real = RandomVae.sdxlLayout(new int[] {128, 256, 512, 512}, 32);
        // a quarter of the default budget binds below the 64-cell cap
        long budget = TiledVae.DEFAULT_BUDGET_BYTES / 4;
        int[] t = TiledVae.chooseTile(TiledVae.TileOptions.budget(budget), 270, 480,
                (h, w) -> TiledVae.estimateDecodeBytes(real, 1, h, w, 4));
        assertTrue(TiledVae.estimateDecodeBytes(real, 1, t[0], t[1], 4) <= budget);
        assertTrue(TiledVae.estimateDecodeBytes(real, 1, t[0] + 1, t[1] + 1, 4) > budget);
        assertTrue(t[0] >= 32 && t[0] < 270, "tile " + t[0]);
        assertEquals(t[0] / 4, t[2]);
        System.out.printf("375 MB budget, real SDXL widths: decode tile %d latent (%d px), estimate %.2f GB%n",
                t[0], t[0] * 8, TiledVae.estimateDecodeBytes(real, 1, t[0], t[1], 4) / 1e9);
        // The budget grows the tile; a tiny VAE decodes a small image in one tile.
        int[] big = TiledVae.chooseTile(TiledVae.TileOptions.budget(4 * budget), 270, 480,
                (h, w) -> TiledVae.estimateDecodeBytes(real, 1, h, w, 4));
        assertTrue(big[0] > t[0]);
        assertTrue(big[0] <= TiledVae.MAX_AUTO_TILE, "automatic tiles stop at " + TiledVae.MAX_AUTO_TILE + " cells");
        assertThrows(IllegalArgumentException.class, () -> TiledVae.TileOptions.fixed(8, 5));
        // An image that fits the budget stays untiled even beyond the 128-cell tile cap (exact
        // diffusers result, e.g. the 768×1344 PixArt-Alpha bin with a tiny VAE).
        VaeConfig tiny = RandomVae.sdxlLayout(new int[] {4, 8, 8, 8}, 4);
        assertArrayEquals(new int[] {96, 168, 42}, TiledVae.chooseTile(TiledVae.TileOptions.auto(), 96, 168,
                (h, w) -> TiledVae.estimateDecodeBytes(tiny, 1, h, w, 4)));
        assertEquals(15, TiledVae.spans(270, 128, 32).size() * TiledVae.spans(480, 128, 32).size());
    }
}
