package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.preview.PreviewRenderer;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.vae.AutoencoderKL;
import studio.pixart.engine.vae.VaeConfig;

/** The bench's parts that can be checked without running the 28-block model. */
class BenchCommandTest {
    @Test
    void flopCountFollowsTheShapes() {
        // XL at 512 px: N = 1024 tokens, D = 1152, L = 300, 28 blocks, batch 2.
        TransformerConfig xl = BenchCommand.xl(512);
        BenchCommand.Flops f = BenchCommand.stepFlops(xl, 64, 64, 300, 2, TransformerOptions.defaults());
        double n = 1024;
        double d = 1152;
        double l = 300;
        double perBlockLinear = 4 * n * d * d + 2 * n * d * d + 2 * l * d * d + 8 * n * d * d;
        double perBlockAttention = 2 * n * n * d + 2 * n * l * d;
        double outside = n * 16 * d + l * (4096 * d + d * d) + 256 * d + 7 * d * d + n * d * 32;
        assertEquals(2 * 2 * (28 * perBlockLinear + outside), f.linear(), 1);
        assertEquals(2 * 2 * 28 * perBlockAttention, f.attention(), 1);
        assertTrue(f.total() > 2.5e12 && f.total() < 2.8e12, "about 2.6 TFLOP per 512 px step: " + f.total());

        // 2×2 compression in the 14 upper layers: their self-attention products shrink 4×.
        BenchCommand.Flops kv = BenchCommand.stepFlops(xl, 64, 64, 300, 2,
                TransformerOptions.defaults().withKvCompression(TransformerOptions.KvCompression.upperHalf(2)));
        assertEquals(f.linear(), kv.linear(), 1);
        assertEquals(f.attention() - 2 * 2 * 14 * 2 * n * (n - n / 4) * d, kv.attention(), 1);
    }

    @Test
    void randomVaeFolderLoadsAndPreviews(@TempDir Path dir) throws Exception {
        Torch.prepareThread();
        // The SDXL layout, narrowed (the loader checks every parameter name and shape).
        VaeConfig c = new VaeConfig(3, 3, 4, new int[] {8, 16, 16, 16}, 2, 4, 0.13025, 0.0, true, true, true);
        studio.pixart.engine.vae.RandomVae.write(dir, c, 3);
        try (AutoencoderKL vae = AutoencoderKL.load(dir, Device.cpu(), DataType.FLOAT32)) {
            PreviewRenderer r = new PreviewRenderer(vae, GenerationRequest.PreviewMode.VAE);
            float[] x0 = new float[4 * 8 * 8];
            for (int i = 0; i < x0.length; i++) {
                x0[i] = (float) Math.sin(i);
            }
            RgbImage img = r.vaePreview(x0, 4, 8, 8);
            assertEquals(64, img.width(), "8 × 8 latents × VAE factor 8, under the preview size");
            RgbImage fast = r.fastPreview(x0, 4, 8, 8);
            assertEquals(8, fast.width());
            // a latent grid whose decode would exceed the preview size is pooled first
            float[] big = new float[4 * 128 * 64];
            RgbImage pooled = r.vaePreview(big, 4, 128, 64);
            assertTrue(Math.max(pooled.width(), pooled.height()) <= PreviewRenderer.VAE_PREVIEW_MAX_SIDE,
                    pooled.width() + "x" + pooled.height());
            assertEquals(2 * pooled.width(), pooled.height(), "aspect ratio kept");
        }
    }

    @Test
    void statisticsHelpers() {
        assertEquals(2.0, BenchCommand.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, BenchCommand.median(List.of(4.0, 1.0, 2.0, 3.0)));
        assertEquals(1.5, BenchCommand.slope(new double[] {10, 11.5, 13, 14.5}), 1e-12);
        assertEquals(0.0, BenchCommand.slope(new double[] {7}));
    }

    @Test
    void badArgumentsAreReported() {
        CliTest.Run r = CliTest.run("bench", "--size", "100");
        assertEquals(2, r.code(), "an option error is a usage error");
        assertTrue(r.err().contains("multiple of 16"), r.err());
        CliTest.Run kv = CliTest.run("bench", "--size", "256", "--kv-compress", "maybe");
        assertEquals(2, kv.code());
        assertTrue(kv.err().contains("--kv-compress must be one of on, off, compare"), kv.err());
    }

    @Test
    void goldensModeRunsReferenceCasesOnTheChosenDeviceAndPrintsTheirErrors() {
        CliTest.Run r = CliTest.run("bench", "--goldens", Golden.ROOT.toString(), "--cases", "pipe_fox",
                "--device", "cpu", "--dtype", "float32");
        assertEquals(0, r.code(), r.out() + r.err());
        String row = r.out().lines().filter(l -> l.startsWith("pipe_fox_16x16_cfg4.5_4steps")).findFirst().orElseThrow();
        String[] cols = row.trim().split("\\s+");
        assertEquals("cpu", cols[1]);
        assertEquals("float32", cols[2]);
        for (int c = 4; c <= 6; c++) {
            double err = Double.parseDouble(cols[c]);
            assertTrue(err >= 0 && err <= 1e-4, "error column " + c + " of " + row);
        }
        assertTrue(r.out().contains("1 of 1 cases within their rule"), r.out());
    }

    @Test
    void goldensModeNamesWhatIsMissing(@TempDir Path empty) {
        CliTest.Run none = CliTest.run("bench", "--goldens", empty.toString(), "--device", "cpu");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("cases") && none.err().contains("pipeline"), none.err());
        CliTest.Run filtered = CliTest.run("bench", "--goldens", Golden.ROOT.toString(), "--cases", "no-such-case", "--device", "cpu");
        assertEquals(1, filtered.code());
        assertTrue(filtered.err().contains("no-such-case"), filtered.err());
    }
}
