package studio.pixart.engine.transformer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import studio.pixart.engine.nd.Torch;

/**
 * Measures PixArt-Σ KV token compression on the real XL configuration with random weights: one
 * CFG forward pass (batch 2) uncompressed, then with 2×2 compression of the self-attention keys and
 * values in the upper half of the blocks; prints seconds and the PSNR of the compressed output
 * against the uncompressed one (peak = max − min of the uncompressed output).
 *
 * <p>Usage: {@code KvCompressionBench [latentSize=64] [textTokens=300] [ratio=2]}. The latent
 * size is in latent pixels (64 → 512 px images); the config uses sample_size = latentSize, like
 * the PixArt-Σ checkpoint for that resolution.
 */
public final class KvCompressionBench {
    private KvCompressionBench() {}

    public static void main(String[] args) {
        int latent = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int textLen = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int ratio = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Torch.prepareThread();
        TransformerConfig cfg = TransformerConfig.pixArtXl(latent);
        long t0 = System.nanoTime();
        try (NDManager m = Torch.newManager()) {
            PixArtTransformer plain = PixArtTransformer.random(cfg, 42, Device.cpu(), DataType.FLOAT32);
            System.out.printf("XL config (28 × 1152, 16 heads × 72), sample_size %d, random weights built in %.1f s%n",
                    latent, (System.nanoTime() - t0) / 1e9);
            Torch.seed(7);
            NDArray x = m.randomNormal(new Shape(2, 4, latent, latent));
            NDArray t = m.create(new long[] {500, 500});
            NDArray text = m.randomNormal(new Shape(2, textLen, 4096)).mul(0.2f);
            // CFG batch: [negative "" prompt → 1 valid token, positive → 40 valid tokens]
            long[] mask = new long[2 * textLen];
            mask[0] = 1;
            for (int i = 0; i < 40; i++) {
                mask[textLen + i] = 1;
            }
            NDArray textMask = m.create(mask, new Shape(2, textLen));
            NDArray res = cfg.useAdditionalConditions() ? m.create(new float[] {latent * 8f, latent * 8f, latent * 8f, latent * 8f}, new Shape(2, 2)) : null;
            NDArray ar = cfg.useAdditionalConditions() ? m.create(new float[] {1f, 1f}, new Shape(2, 1)) : null;

            long tokens = (long) (latent / 2) * (latent / 2);
            long s0 = System.nanoTime();
            double c0 = cpuSeconds();
            float[] ref = plain.forward(x, t, text, textMask, res, ar).toFloatArray();
            double plainS = (System.nanoTime() - s0) / 1e9;
            System.out.printf("uncompressed: %d tokens, %.2f s wall, %.2f s process CPU%n", tokens, plainS, cpuSeconds() - c0);
            plain.close(); // one 2.4 GB model at a time

            TransformerOptions kvOpts = TransformerOptions.defaults()
                    .withKvCompression(TransformerOptions.KvCompression.upperHalf(ratio));
            // same seed → same weights; only the options differ
            try (PixArtTransformer kv = PixArtTransformer.random(cfg, 42, Device.cpu(), DataType.FLOAT32, kvOpts)) {
                long s1 = System.nanoTime();
                double c1 = cpuSeconds();
                float[] out = kv.forward(x, t, text, textMask, res, ar).toFloatArray();
                double kvS = (System.nanoTime() - s1) / 1e9;
                System.out.printf("KV compression %d×%d in layers %s: %.2f s wall (%.2f× faster), %.2f s process CPU%n", ratio, ratio,
                        kvOpts.kvCompression().layersFor(cfg.numLayers()), kvS, plainS / kvS, cpuSeconds() - c1);
                System.out.printf("PSNR of compressed vs uncompressed output: %.2f dB%n", psnr(ref, out));
            }
        }
    }

    /** CPU time of the whole process (libtorch's worker threads included): robust to a busy machine. */
    static double cpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean b ? b.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    static double psnr(float[] ref, float[] out) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double se = 0;
        for (int i = 0; i < ref.length; i++) {
            min = Math.min(min, ref[i]);
            max = Math.max(max, ref[i]);
            double dlt = (double) ref[i] - out[i];
            se += dlt * dlt;
        }
        double mse = se / ref.length;
        double range = max - min;
        return 10 * Math.log10(range * range / mse);
    }
}
