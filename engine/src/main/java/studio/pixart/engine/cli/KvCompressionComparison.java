package studio.pixart.engine.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.PrintWriter;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.transformer.TransformerOptions;

/**
 * {@code pixart bench --kv-compress compare}: what KV token compression costs in accuracy and saves
 * in time on the real XL configuration with seeded random weights. One CFG forward pass (batch 2)
 * uncompressed, then one with 2×2 compression of the self-attention keys and values in the upper
 * half of the blocks (same weights: same seed, only the options differ); prints wall and process
 * CPU seconds of each and the PSNR of the compressed output against the uncompressed one (peak =
 * max − min of the uncompressed output). One 2.4 GB transformer is held at a time.
 */
final class KvCompressionComparison {
    private KvCompressionComparison() {}

    static void run(PrintWriter out, int size, int textTokens, int validTokens, long seed) {
        Torch.prepareThread();
        int latent = size / 8;
        TransformerConfig cfg = BenchCommand.xl(size);
        long t0 = System.nanoTime();
        try (NDManager m = Torch.newManager()) {
            PixArtTransformer plain = PixArtTransformer.random(cfg, seed, Device.cpu(), DataType.FLOAT32);
            out.printf("PixArt-XL/2 (%d blocks, hidden %d), sample_size %d, random weights built in %.1f s%n",
                    cfg.numLayers(), cfg.innerDim(), latent, (System.nanoTime() - t0) / 1e9);
            Torch.seed(seed + 1);
            NDArray x = m.randomNormal(new Shape(2, 4, latent, latent));
            BenchCommand.CfgInputs in = BenchCommand.cfgInputs(m, cfg, size, textTokens, validTokens);

            long s0 = System.nanoTime();
            double c0 = cpuSeconds();
            float[] ref = plain.forward(x, in.timestep(), in.text(), in.textMask(), in.resolution(), in.aspectRatio()).toFloatArray();
            double plainS = (System.nanoTime() - s0) / 1e9;
            out.printf("uncompressed: %d image tokens, %.2f s wall, %.2f s process CPU%n",
                    (latent / 2) * (latent / 2), plainS, cpuSeconds() - c0);
            plain.close();

            TransformerOptions kvOpts = TransformerOptions.defaults()
                    .withKvCompression(TransformerOptions.KvCompression.upperHalf(2));
            try (PixArtTransformer kv = PixArtTransformer.random(cfg, seed, Device.cpu(), DataType.FLOAT32, kvOpts)) {
                long s1 = System.nanoTime();
                double c1 = cpuSeconds();
                float[] compressed = kv.forward(x, in.timestep(), in.text(), in.textMask(), in.resolution(), in.aspectRatio()).toFloatArray();
                double kvS = (System.nanoTime() - s1) / 1e9;
                out.printf("KV compression 2×2 in layers %s: %.2f s wall (%.2f× faster), %.2f s process CPU%n",
                        kvOpts.kvCompression().layersFor(cfg.numLayers()), kvS, plainS / kvS, cpuSeconds() - c1);
                out.printf("PSNR of compressed vs uncompressed output: %.2f dB%n", psnr(ref, compressed));
            }
        }
        out.flush();
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
            double d = (double) ref[i] - out[i];
            se += d * d;
        }
        double range = max - min;
        return 10 * Math.log10(range * range / (se / ref.length));
    }
}
