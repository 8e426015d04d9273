package studio.pixart.engine.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.lora.LoraFile;
import studio.pixart.engine.lora.LoraMerger;
import studio.pixart.engine.lora.LoraSpec;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.TransformerConfig;

/**
 * {@code pixart bench --lora RANK}: merge time and memory of a random LoRA of that rank on every
 * attention and feed-forward Linear of every block (q, k, v, out of attn1 and attn2,
 * ff.net.0.proj, ff.net.2: 280 modules) of the real PixArt-XL/2 configuration with random float32
 * weights on the CPU. Reports the time to read the file, to merge (B·A, scale, add, swap the
 * weight), to change strength (restore + merge again) and to remove it, and the resident memory
 * before, after merging and after removing.
 */
final class LoraBench {
    private LoraBench() {}

    static void run(PrintWriter out, int rank, long seed) throws IOException {
        Torch.prepareThread();
        TransformerConfig cfg = TransformerConfig.pixArtXl(128);
        long t0 = System.nanoTime();
        try (PixArtTransformer tr = PixArtTransformer.random(cfg, seed, Device.cpu(), DataType.FLOAT32)) {
            out.printf("PixArt-XL/2 random float32 weights built in %.1f s; RSS %.0f MB%n",
                    (System.nanoTime() - t0) / 1e9, rssMb());
            Path dir = Files.createTempDirectory("pixart-bench-lora");
            Path file = dir.resolve("random-rank" + rank + ".safetensors");
            try {
                long params = writeRandomLora(file, tr.linearShapes(), rank, seed);
                out.printf("random LoRA rank %d on %d modules: %.1f M parameters, %.1f MB file%n", rank,
                        targets(tr.linearShapes()).size(), params / 1e6, Files.size(file) / 1e6);
                long tr0 = System.nanoTime();
                LoraFile.read(file);
                double readS = (System.nanoTime() - tr0) / 1e9;
                LoraMerger merger = new LoraMerger(tr);
                double before = rssMb();
                long m0 = System.nanoTime();
                merger.apply(List.of(new LoraSpec(file, 1.0)));
                double mergeS = (System.nanoTime() - m0) / 1e9;
                double afterMerge = rssMb();
                long c0 = System.nanoTime();
                merger.apply(List.of(new LoraSpec(file, 0.7)));
                double changeS = (System.nanoTime() - c0) / 1e9;
                long u0 = System.nanoTime();
                merger.apply(List.of());
                double removeS = (System.nanoTime() - u0) / 1e9;
                double afterRemove = rssMb();
                out.printf("read + parse the file: %.2f s%n", readS);
                out.printf("merge (read, check, B·A, add, swap; strength 1.0): %.2f s%n", mergeS);
                out.printf("change strength to 0.7 (restore + merge): %.2f s%n", changeS);
                out.printf("remove (restore): %.2f s%n", removeS);
                out.printf("resident memory: before %.0f MB, merged %.0f MB (%+.0f MB), removed %.0f MB (%+.0f MB); "
                        + "peak %.0f MB%n", before, afterMerge, afterMerge - before, afterRemove, afterRemove - before,
                        BenchCommand.rssBytes("VmHWM") / 1e6);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        }
        out.flush();
    }

    static List<String> targets(Map<String, long[]> linears) {
        return linears.keySet().stream().filter(k -> k.startsWith("transformer_blocks.")).toList();
    }

    /** A diffusers-layout LoRA with N(0, 0.01²) factors (no alpha: scale 1). */
    static long writeRandomLora(Path file, Map<String, long[]> shapes, int rank, long seed) throws IOException {
        Random r = new Random(seed);
        SafetensorsWriter w = new SafetensorsWriter();
        long params = 0;
        for (String m : targets(shapes)) {
            long[] s = shapes.get(m);
            float[] a = new float[(int) (rank * s[1])];
            float[] b = new float[(int) (s[0] * rank)];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextGaussian() * 0.01);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (r.nextGaussian() * 0.01);
            }
            w.putFloats("transformer." + m + ".lora_A.weight", new long[] {rank, s[1]}, a);
            w.putFloats("transformer." + m + ".lora_B.weight", new long[] {s[0], rank}, b);
            params += a.length + b.length;
        }
        w.write(file);
        return params;
    }

    private static double rssMb() {
        return BenchCommand.rssBytes("VmRSS") / 1e6;
    }
}
