package studio.pixart.engine.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.nd.Torch;

/**
 * The cause of the poster's "VAE decode produced NaN" under load (issue 14, item 6): DJL wraps an
 * array created from Java data around a direct buffer that only the creating NDArray keeps
 * alive; its views (split, slices, reshapes) do not. The tiled encode returned such an array and
 * {@link AutoencoderKL.Moments#split} kept views of it after closing it, so once the garbage
 * collector freed the buffer the latent mean was whatever malloc put there next: NaN with luck,
 * wrong pixels otherwise. These tests close the owner, force collections and reuse the freed
 * memory with NaN-filled buffers, then check the moments still hold the values they had.
 */
class TiledVaeLifetimeTest {
    @TempDir
    static Path dir;
    static AutoencoderKL vae;

    @BeforeAll
    static void build() throws IOException {
        Torch.prepareThread();
        VaeConfig c = RandomVae.sdxlLayout(new int[] {8, 16}, 4);
        vae = AutoencoderKL.load(RandomVae.write(dir.resolve("vae"), c, 77));
    }

    @AfterAll
    static void close() {
        vae.close();
    }

    /** Frees what the GC can free and hands the freed native memory out again, filled with NaN. */
    static void churnNativeMemory(int bytes) {
        List<ByteBuffer> hold = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            System.gc();
            try {
                Thread.sleep(20); // the Cleaner thread frees the collected direct buffers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int i = 0; i < 8; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
                hold.add(b);
            }
        }
        hold.clear();
    }

    @Test
    void tiledEncodeMomentsOutliveTheBlendedArray() {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(3);
            NDArray image = m.randomUniform(-1, 1, new Shape(1, 3, 96, 128));
            float[] expectedMean;
            float[] expectedLogvar;
            try (AutoencoderKL.Moments first = TiledVae.encodeTiled(vae, image, TiledVae.TileOptions.fixed(16, 4),
                    null, () -> false)) {
                expectedMean = first.mean().toFloatArray();
                expectedLogvar = first.logvar().toFloatArray();
            }
            try (AutoencoderKL.Moments moments = TiledVae.encodeTiled(vae, image, TiledVae.TileOptions.fixed(16, 4),
                    null, () -> false)) {
                churnNativeMemory(expectedMean.length * 4 * 2);
                float[] mean = moments.mean().toFloatArray();
                float[] logvar = moments.logvar().toFloatArray();
                for (float v : mean) {
                    assertTrue(Float.isFinite(v), "the mean went non-finite after its backing array was freed");
                }
                assertArrayEquals(expectedMean, mean, "mean changed after a GC");
                assertArrayEquals(expectedLogvar, logvar, "logvar changed after a GC");
            }
        }
    }

    @Test
    void tiledDecodeOutputOwnsItsMemory() {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(4);
            NDArray z = m.randomNormal(new Shape(1, 4, 48, 64));
            NDArray out = TiledVae.decodeTiled(vae, z, TiledVae.TileOptions.fixed(16, 4), null, () -> false);
            float[] expected = out.toFloatArray();
            // a view kept past its base, as a caller splitting the batch would
            NDArray view = out.reshape(-1);
            out.close();
            churnNativeMemory(expected.length * 4);
            assertArrayEquals(expected, view.toFloatArray(), "a view of the decoded image changed after its base was closed");
        }
    }
}
