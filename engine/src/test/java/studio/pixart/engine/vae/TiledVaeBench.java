package studio.pixart.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import studio.pixart.engine.nd.Torch;

/**
 * Time and peak RSS of a tiled 4K decode (latent 270×480 → 2160×3840) with random-weight VAEs.
 *
 * <pre>
 * TiledVaeBench write DIR small|real     writes the VAE (own JVM, so its heap does not count)
 * TiledVaeBench decode DIR H W [budgetBytes] [maxTiles]
 * </pre>
 * "small" = SDXL layout with widths 8/16/16/16 (the test VAE); "real" = the SDXL-VAE widths
 * 128/256/512/512, 2 layers per block, 32 groups. With maxTiles the decode is cancelled after
 * that many tiles and the full time is extrapolated from the per-tile time (all tiles of a plan
 * have the same size, so they cost the same).
 */
public final class TiledVaeBench {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("write")) {
            int[] widths = args[2].equals("real") ? new int[] {128, 256, 512, 512} : new int[] {8, 16, 16, 16};
            int groups = args[2].equals("real") ? 32 : 4;
            RandomVae.write(Path.of(args[1]), RandomVae.sdxlLayout(widths, groups), 1234);
            System.out.println("wrote " + args[1] + " (" + Files.size(Path.of(args[1]).resolve("diffusion_pytorch_model.safetensors")) / 1e6 + " MB)");
            return;
        }
        Torch.prepareThread();
        Path dir = Path.of(args[1]);
        int h = Integer.parseInt(args[2]);
        int w = Integer.parseInt(args[3]);
        long budget = args.length > 4 ? Long.parseLong(args[4]) : TiledVae.DEFAULT_BUDGET_BYTES;
        int maxTiles = args.length > 5 ? Integer.parseInt(args[5]) : Integer.MAX_VALUE;
        try (AutoencoderKL vae = AutoencoderKL.load(dir); NDManager m = Torch.newManager()) {
            VaeConfig c = vae.config();
            int[] tile = TiledVae.chooseTile(TiledVae.TileOptions.budget(budget), h, w,
                    (th, tw) -> TiledVae.estimateDecodeBytes(c, 1, th, tw, 4));
            System.out.printf("widths %s, latent %dx%d -> %dx%d px, budget %.2f GB: tile %dx%d latent, overlap %d,"
                            + " %d tiles, estimated peak per tile %.2f GB%n",
                    java.util.Arrays.toString(c.blockOutChannels()), h, w, h * 8, w * 8, budget / 1e9, tile[0], tile[1],
                    tile[2], TiledVae.spans(h, tile[0], tile[2]).size() * TiledVae.spans(w, tile[1], tile[2]).size(),
                    TiledVae.estimateDecodeBytes(c, 1, tile[0], tile[1], 4) / 1e9);
            Torch.seed(0);
            NDArray z = m.randomNormal(new Shape(1, c.latentChannels(), h, w));
            System.out.printf("before decode: %s%n", memory());
            long start = System.nanoTime();
            long[] last = {start};
            int[] done = {0, 0};
            try {
                NDArray out = TiledVae.decodeTiled(vae, z, TiledVae.TileOptions.budget(budget), (d, t) -> {
                    long now = System.nanoTime();
                    System.out.printf("tile %d/%d %.1fs %s%n", d, t, (now - last[0]) / 1e9, memory());
                    last[0] = now;
                    done[0] = d;
                    done[1] = t;
                }, () -> done[0] >= maxTiles);
                double secs = (System.nanoTime() - start) / 1e9;
                float[] img = AutoencoderKL.toImage(out);
                System.out.printf("decoded %s in %.1f s (%d values); %s%n", out.getShape(), secs, img.length, memory());
            } catch (CancellationException e) {
                double secs = (System.nanoTime() - start) / 1e9;
                System.out.printf("stopped after %d of %d tiles in %.1f s -> extrapolated full decode %.0f s; %s%n",
                        done[0], done[1], secs, secs / done[0] * done[1], memory());
            }
        }
    }

    static String memory() {
        String hwm = "?";
        String rss = "?";
        java.util.List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/status"));
        } catch (java.io.IOException e) {
            return "(no /proc/self/status)";
        }
        for (String line : lines) {
            if (line.startsWith("VmHWM:")) {
                hwm = line.substring(6).trim();
            } else if (line.startsWith("VmRSS:")) {
                rss = line.substring(6).trim();
            }
        }
        return "VmRSS " + rss + ", VmHWM " + hwm;
    }
}
