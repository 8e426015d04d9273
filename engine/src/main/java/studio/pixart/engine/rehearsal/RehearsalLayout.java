package studio.pixart.engine.rehearsal;

import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.RandomVae;
import studio.pixart.engine.vae.VaeConfig;

/**
 * The sizes of a rehearsal pipeline and the image sizes its stages use.
 *
 * @param name folder name under the rehearsal root
 * @param t5 text encoder configuration
 * @param t5ShardCount bfloat16 shards (the float32 variant uses twice as many, as save_pretrained would)
 * @param transformer transformer configuration
 * @param vae VAE configuration
 * @param smallPx side of the smaller timed step
 * @param largePx side of the larger timed step, the VAE decode and the full generation
 */
public record RehearsalLayout(String name, T5Config t5, int t5ShardCount, TransformerConfig transformer, VaeConfig vae,
                              int smallPx, int largePx) {

    /**
     * PixArt-Σ-XL-2-1024-MS as published: T5-XXL encoder (4,762,310,656 parameters) in two bfloat16
     * shards, the XL transformer (610,856,096; no micro-conditions, interpolation scale 2) in
     * float16, the SDXL VAE (83,653,863) in float32.
     */
    public static RehearsalLayout sigma1024() {
        return new RehearsalLayout("pixart-sigma-1024", T5Config.xxl(), 2,
                new TransformerConfig(16, 72, 4, 8, 28, 1152, true, 128, 2, 1e-6, 2, false, 4096),
                RandomVae.sdxlLayout(new int[] {128, 256, 512, 512}, 32), 512, 1024);
    }

    /** The same layout scaled down to seconds, for the test of the rehearsal machinery. */
    public static RehearsalLayout mini() {
        return new RehearsalLayout("pixart-mini", new T5Config(64, 16, 4, 128, 2, 32128, 32, 128, 1e-6, "gelu_new"), 2,
                new TransformerConfig(2, 16, 4, 8, 2, 32, true, 16, 2, 1e-6, 1, false, 64),
                RandomVae.sdxlLayout(new int[] {8, 16, 16, 16}, 4), 64, 128);
    }

    public static RehearsalLayout named(String name) {
        return switch (name) {
            case "sigma-1024", "pixart-sigma-1024" -> sigma1024();
            case "mini", "pixart-mini" -> mini();
            default -> throw new IllegalArgumentException("unknown rehearsal layout '" + name + "' (sigma-1024 or mini)");
        };
    }

    public int shardsFor(RehearsalFolder.T5Shards shards) {
        return shards == RehearsalFolder.T5Shards.BF16 ? t5ShardCount : 2 * t5ShardCount;
    }
}
