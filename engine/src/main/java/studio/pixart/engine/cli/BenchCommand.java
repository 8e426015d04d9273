package studio.pixart.engine.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.GpuMemoryMonitor;
import studio.pixart.engine.nd.MatmulRate;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.JobSpec;
import studio.pixart.engine.plan.MachineInfo;
import studio.pixart.engine.plan.ModelSpec;
import studio.pixart.engine.plan.Planner;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.preview.LatentPreview;
import studio.pixart.engine.preview.PreviewRenderer;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.StepFlops;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.vae.AutoencoderKL;
import studio.pixart.engine.vae.RandomVae;
import studio.pixart.engine.vae.VaeConfig;

/**
 * {@code pixart bench}: the denoising step of the real PixArt-XL/2 configuration (28 blocks, hidden
 * 1152, 16 heads × 72, patch 2, T5-XXL captions of 4096 channels) with seeded random weights, on
 * {@code --device}/{@code --dtype} (the CPU in float32 where no GPU is visible, else CUDA in
 * float16), with classifier-free guidance (batch 2) against 300 random text embeddings
 * of which 1 (the empty negative prompt) and {@code --valid-tokens} (the prompt) are unmasked.
 *
 * <p>A step here is what the pipeline does per step minus the scheduler arithmetic (a few float
 * operations per latent value, negligible): latents → CFG batch → transformer → split and guide →
 * back to a Java array. One warm-up step, then {@code --steps} timed ones; the median is reported,
 * with the step's FLOPs counted from the shapes ({@link #stepFlops}), the rate this engine reaches
 * on a plain matmul in the same dtype (the machine's practical peak through the same libtorch),
 * their ratio, resident memory after each step with its slope (native memory must stay flat over
 * a loop), the peak resident memory and, on a GPU, the peak GPU memory ({@link GpuMemoryMonitor}).
 * {@code --goldens DIR} runs the reference pipeline cases instead ({@link ReferenceCaseRun}). {@code --preview} also times the fast preview and a VAE
 * preview (the real SDXL-VAE configuration with random weights) per step, as a share of a step.
 */
@Command(name = "bench", description = "Time denoising steps of the real PixArt-XL/2 configuration with random weights.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "PX", description = "square image side in pixels, a multiple of 16 (default: ${DEFAULT-VALUE})")
    int size = 512;

    @Option(names = "--steps", paramLabel = "N", description = "timed steps after one warm-up step (default: ${DEFAULT-VALUE}); 20 shows whether memory grows")
    int steps = 3;

    @Option(names = "--kv-compress", paramLabel = "on|off|compare", description = "2×2 KV token compression in layers 14–27;"
            + " compare: one forward pass without and with it, time and PSNR (default: ${DEFAULT-VALUE})")
    String kvCompress = "off";

    @Option(names = "--preview", paramLabel = "KIND", description = "none, fast, vae or both: also time the step previews (default: ${DEFAULT-VALUE})")
    String preview = "none";

    @Option(names = "--text-tokens", paramLabel = "L", description = "text sequence length (default: ${DEFAULT-VALUE})")
    int textTokens = 300;

    @Option(names = "--valid-tokens", paramLabel = "N", description = "unmasked tokens of the prompt row (default: ${DEFAULT-VALUE})")
    int validTokens = 20;

    @Option(names = "--matmul", paramLabel = "N", description = "side of the reference N×N×N float32 matmul (default: ${DEFAULT-VALUE})")
    int matmulSize = 2048;

    @Option(names = "--seed", description = "seed of the random weights and inputs (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--memory", paramLabel = "MODE", description = "auto, low, balanced or high (default: ${DEFAULT-VALUE}: from the RAM)")
    String memory = "auto";

    @Option(names = "--plan", description = "print the plan (estimated peak memory) and exit")
    boolean plan;

    /** Parameters of the SDXL VAE (the published checkpoint's count). */
    static final long SDXL_VAE_PARAMETERS = 83_653_863L;

    @Option(names = "--device", paramLabel = "DEV", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE}: CUDA when DJL sees a GPU)")
    String device = "auto";

    @Option(names = "--dtype", paramLabel = "TYPE", description = "auto, float32 or float16 (default: ${DEFAULT-VALUE}: float16 on a GPU, float32 on the CPU)")
    String dtype = "auto";

    @Option(names = "--goldens", paramLabel = "DIR", description = "instead of timing steps: run every reference pipeline case of a golden folder (DIR/cases/pipeline) on --device/--dtype and print its errors")
    Path goldens;

    @Option(names = "--cases", paramLabel = "TEXT", description = "with --goldens: only the cases whose name contains TEXT")
    String cases;

    @Option(names = "--lora", paramLabel = "RANK", description = "instead: time merging a random LoRA of this rank into "
            + "every block Linear of PixArt-XL/2 (merge, change strength, remove) and the memory it adds")
    int loraRank;

    /** The PixArt-XL/2 configuration at a latent sample size (size / 8). */
    static TransformerConfig xl(int size) {
        return TransformerConfig.pixArtXl(size / 8);
    }

    /** The SDXL VAE (PixArt-Σ's): widths 128, 256, 512, 512, 2 layers per block, 32 groups, 4 latent channels. */
    static VaeConfig sdxlVae() {
        return RandomVae.sdxlLayout(new int[] {128, 256, 512, 512}, 32);
    }

    /** Floating-point operations of one step, split into dense layers and attention products. */
    record Flops(double linear, double attention) {
        double total() {
            return linear + attention;
        }
    }

    /** FLOPs of one transformer evaluation ({@link StepFlops#count}). */
    static Flops stepFlops(TransformerConfig c, int latentH, int latentW, int textLen, int batch, TransformerOptions opts) {
        StepFlops.Count n = StepFlops.count(c, latentH, latentW, textLen, batch, opts);
        return new Flops(n.linear(), n.attention());
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CliChecks.range("--matmul", matmulSize, 64, 8192);
        if (goldens != null) {
            return ReferenceCaseRun.runAll(goldens, cases, device, dtype, out);
        }
        if (loraRank != 0) {
            CliChecks.range("--lora", loraRank, 1, 1152);
            out.printf("matmul %d×%d×%d float32 through libtorch: %.1f GFLOP/s (median of 5)%n", matmulSize, matmulSize,
                    matmulSize, matmulGflops(matmulSize, 5, Device.cpu(), DataType.FLOAT32));
            LoraBench.run(out, loraRank, seed);
            return 0;
        }
        CliChecks.range("--size", size, 16, CliChecks.MAX_SIDE);
        if (size % 16 != 0) {
            throw new CliChecks.UsageError("--size must be a multiple of 16 (VAE factor 8 × patch 2), got " + size);
        }
        CliChecks.range("--steps", steps, 1, 1000);
        CliChecks.range("--text-tokens", textTokens, 1, CliChecks.MAX_SEQUENCE_LENGTH);
        CliChecks.range("--valid-tokens", validTokens, 1, textTokens);
        String kvMode = CliChecks.oneOf("--kv-compress", kvCompress, List.of("on", "off", "compare"));
        boolean kv = kvMode.equals("on");
        if (kvMode.equals("compare")) {
            KvCompressionComparison.run(out, size, textTokens, validTokens, seed);
            return 0;
        }
        GenerationRequest.PreviewMode pm = GenerationRequest.PreviewMode.valueOf(
                CliChecks.oneOf("--preview", preview, List.of("none", "fast", "vae", "both")).toUpperCase());
        Torch.prepareThread();
        // Plan first: an impossible size is refused with the numbers before anything is allocated.
        TransformerConfig cfg = xl(size);
        ModelSpec model = ModelSpec.transformerOnly(cfg);
        if (pm == GenerationRequest.PreviewMode.VAE || pm == GenerationRequest.PreviewMode.BOTH) {
            model = model.withVae(sdxlVae(), SDXL_VAE_PARAMETERS, TensorDType.F32);
        }
        ExecutionPlan executionPlan = Planner.plan(model, JobSpec.bench(size, textTokens, kv), MachineInfo.detect(),
                new Planner.Overrides(device, dtype, memory));
        if (plan) {
            out.print(executionPlan.describe());
            out.flush();
            return executionPlan.fits() ? 0 : 1;
        }
        executionPlan.requireFits();
        out.printf("plan: %s (estimated peak %s resident%s)%n", executionPlan.summary(),
                ExecutionPlan.gb(executionPlan.peak().hostBytes()), executionPlan.peak().gpuBytes() > 0
                        ? ", " + ExecutionPlan.gb(executionPlan.peak().gpuBytes()) + " GPU" : "");
        Device dev = executionPlan.device();
        DataType dt = executionPlan.dtype();
        String dtName = dt == DataType.FLOAT16 ? "float16" : "float32";
        GpuMemoryMonitor gpuMemory = GpuMemoryMonitor.start(dev);
        out.printf("device %s, compute dtype %s, libtorch %s%n", dev, dtName, Torch.version());

        double matmul = matmulGflops(matmulSize, 5, dev, dt);
        out.printf("matmul %d×%d×%d %s through libtorch: %.1f GFLOP/s (median of 5)%n", matmulSize, matmulSize, matmulSize, dtName, matmul);

        TransformerOptions opts = new TransformerOptions(executionPlan.attentionBudgetBytes(),
                kv ? TransformerOptions.KvCompression.upperHalf(2) : TransformerOptions.KvCompression.OFF);
        int lat = size / 8;
        Flops flops = stepFlops(cfg, lat, lat, textTokens, 2, opts);
        long t0 = System.nanoTime();
        Path vaeDir = null;
        AutoencoderKL vae = null;
        try (gpuMemory;
             PixArtTransformer tr = PixArtTransformer.random(cfg, seed, dev, dt, opts);
             NDManager run = Torch.newManager()) {
            out.printf("PixArt-XL/2 (%d blocks, hidden %d, %d heads × %d), random weights built in %.1f s%n",
                    cfg.numLayers(), cfg.innerDim(), cfg.numHeads(), cfg.headDim(), (System.nanoTime() - t0) / 1e9);
            out.printf("%d×%d px: latent %d×%d, %d image tokens; CFG batch 2; text %d tokens (1 and %d valid); KV compression %s%n",
                    size, size, lat, lat, (lat / 2) * (lat / 2), textTokens, validTokens,
                    kv ? "2×2 in layers " + opts.kvCompression().layersFor(cfg.numLayers()) : "off");
            if (pm == GenerationRequest.PreviewMode.VAE || pm == GenerationRequest.PreviewMode.BOTH) {
                long tv = System.nanoTime();
                vaeDir = Files.createTempDirectory("pixart-bench-vae");
                RandomVae.write(vaeDir, sdxlVae(), seed);
                vae = AutoencoderKL.load(vaeDir, dev, DataType.FLOAT32);
                out.printf("SDXL-VAE configuration, random weights, built in %.1f s%n", (System.nanoTime() - tv) / 1e9);
            }
            PreviewRenderer renderer = vae == null ? null : new PreviewRenderer(vae, pm);
            LatentPreview fast = LatentPreview.forScalingFactor((float) sdxlVae().scalingFactor());

            Torch.seed(seed + 1);
            // drawn on the CPU generator (run is a host manager), then moved like the pipeline's inputs
            CfgInputs in = cfgInputs(run, cfg, size, textTokens, validTokens);
            NDArray text = in.text().toDevice(dev, false).toType(dt, false);
            NDArray textMask = in.textMask().toDevice(dev, false);
            NDArray t = in.timestep().toDevice(dev, false);
            NDArray res = in.resolution() == null ? null : in.resolution().toDevice(dev, false).toType(dt, false);
            NDArray ar = in.aspectRatio() == null ? null : in.aspectRatio().toDevice(dev, false).toType(dt, false);
            float[] latents = run.randomNormal(new Shape(1, 4, lat, lat)).toFloatArray();

            out.printf("%-7s %9s %9s %9s%n", "step", "seconds", "RSS MB", "preview");
            List<Double> stepSeconds = new ArrayList<>();
            List<Double> fastMs = new ArrayList<>();
            List<Double> vaeMs = new ArrayList<>();
            double[] rss = new double[steps];
            for (int i = 0; i <= steps; i++) {
                long s = System.nanoTime();
                float[] eps = step(tr, run, latents, lat, t, text, textMask, res, ar, 4.5f, dev, dt);
                double sec = (System.nanoTime() - s) / 1e9;
                // stand-in for the scheduler: move the latents, and take x0 = x − ε as the estimate
                float[] x0 = new float[latents.length];
                for (int k = 0; k < latents.length; k++) {
                    x0[k] = latents[k] - eps[k];
                    latents[k] -= 0.05f * eps[k];
                }
                String pv = "";
                if (pm == GenerationRequest.PreviewMode.FAST || pm == GenerationRequest.PreviewMode.BOTH) {
                    long f = System.nanoTime();
                    fast.project(x0, 4, lat, lat, 0);
                    double ms = (System.nanoTime() - f) / 1e6;
                    pv += String.format("fast %.1f ms", ms);
                    if (i > 0) {
                        fastMs.add(ms);
                    }
                }
                if (renderer != null) {
                    long v = System.nanoTime();
                    var img = renderer.vaePreview(x0, 4, lat, lat);
                    double ms = (System.nanoTime() - v) / 1e6;
                    pv += String.format("%svae %d px %.2f s", pv.isEmpty() ? "" : ", ", img.width(), ms / 1000);
                    if (i > 0) {
                        vaeMs.add(ms);
                    }
                }
                double mb = rssBytes("VmRSS") / 1e6;
                if (i > 0) {
                    stepSeconds.add(sec);
                    rss[i - 1] = mb;
                }
                out.printf("%-7s %9.2f %9.0f   %s%n", i == 0 ? "warm-up" : String.valueOf(i), sec, mb, pv);
                out.flush();
            }
            double median = median(stepSeconds);
            double gflops = flops.total() / median / 1e9;
            out.printf("seconds per step (median of %d): %.2f%n", steps, median);
            out.printf("FLOPs per step: %.3f TFLOP (dense layers %.3f, attention products %.3f)%n",
                    flops.total() / 1e12, flops.linear() / 1e12, flops.attention() / 1e12);
            out.printf("achieved: %.1f GFLOP/s = %.2f TFLOP/s; matmul: %.1f GFLOP/s; ratio %.2f%n", gflops, gflops / 1000, matmul, gflops / matmul);
            out.printf("resident memory after each timed step (MB): %s%n", Arrays.toString(Arrays.stream(rss).mapToLong(Math::round).toArray()));
            out.printf("RSS slope over the timed steps: %+.1f MB/step%n", slope(rss));
            if (!fastMs.isEmpty()) {
                double f = median(fastMs);
                out.printf("fast preview: %.2f ms per step = %.3f %% of a step%n", f, 100 * f / 1000 / median);
            }
            if (!vaeMs.isEmpty()) {
                double v = median(vaeMs);
                out.printf("VAE preview (long side ≤ %d px): %.2f s = %.1f %% of a step (within the %.0f %% budget: one every %d steps)%n",
                        PreviewRenderer.VAE_PREVIEW_MAX_SIDE, v / 1000, 100 * v / 1000 / median, 100 * PreviewRenderer.VAE_BUDGET,
                        (int) Math.ceil(v / 1000 / median / PreviewRenderer.VAE_BUDGET));
            }
            out.printf("peak resident memory (VmHWM): %.2f GB%n", rssBytes("VmHWM") / 1e9);
            if (dev.isGpu()) {
                out.printf("peak GPU memory: %s%n", gpuMemory.describe());
            }
            out.flush();
            return 0;
        } finally {
            if (vae != null) {
                vae.close();
            }
            if (vaeDir != null) {
                deleteTree(vaeDir);
            }
        }
    }

    /** The conditioning of one CFG step: text rows, their mask, timestep 500, micro-conditions where used. */
    record CfgInputs(NDArray text, NDArray textMask, NDArray timestep, NDArray resolution, NDArray aspectRatio) {}

    /**
     * Random text embeddings (2 rows × {@code textTokens}, from the generator as seeded by the
     * caller): the negative row has 1 valid token (the empty prompt's {@code </s>}), the prompt row
     * {@code validTokens}.
     */
    static CfgInputs cfgInputs(NDManager m, TransformerConfig cfg, int size, int textTokens, int validTokens) {
        NDArray text = m.randomNormal(new Shape(2, textTokens, cfg.captionChannels())).mul(0.2f);
        long[] mask = new long[2 * textTokens];
        mask[0] = 1;
        for (int i = 0; i < validTokens; i++) {
            mask[textTokens + i] = 1;
        }
        NDArray textMask = m.create(mask, new Shape(2, textTokens));
        NDArray t = m.create(new long[] {500, 500});
        NDArray res = cfg.useAdditionalConditions() ? m.create(new float[] {size, size, size, size}, new Shape(2, 2)) : null;
        NDArray ar = cfg.useAdditionalConditions() ? m.create(new float[] {1f, 1f}, new Shape(2, 1)) : null;
        return new CfgInputs(text, textMask, t, res, ar);
    }

    /**
     * One CFG denoising step on the transformer's device; every intermediate lives in a sub-manager
     * closed before returning. Reading the result back to a Java array also waits for the GPU.
     */
    static float[] step(PixArtTransformer tr, NDManager run, float[] latents, int lat, NDArray t, NDArray text,
                        NDArray textMask, NDArray res, NDArray ar, float guidance, Device dev, DataType dt) {
        try (NDManager step = run.newSubManager()) {
            NDArray x = step.create(latents, new Shape(1, 4, lat, lat)).toDevice(dev, false).toType(dt, false);
            NDArray out = tr.forward(x.concat(x, 0), t, text, textMask, res, ar).toType(DataType.FLOAT32, false);
            NDList halves = out.split(2, 0);
            NDArray uncond = halves.get(0);
            NDArray guided = uncond.add(halves.get(1).sub(uncond).mul(guidance));
            return guided.get(new NDIndex(":, :4")).toFloatArray();
        }
    }

    /** GFLOP/s of an n×n×n float32 matmul on the CPU, median of {@code runs} after one warm-up. */
    static double matmulGflops(int n, int runs) {
        return MatmulRate.gflops(n, runs);
    }

    /** GFLOP/s of an n×n×n matmul on a device and dtype ({@link MatmulRate#gflops(int, int, Device, DataType)}). */
    static double matmulGflops(int n, int runs, Device dev, DataType dt) {
        return MatmulRate.gflops(n, runs, dev, dt);
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Comparator.naturalOrder());
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    /** Least-squares slope of y over its index (0 for fewer than 2 points). */
    static double slope(double[] y) {
        int n = y.length;
        if (n < 2) {
            return 0;
        }
        double mx = (n - 1) / 2.0;
        double my = Arrays.stream(y).average().orElse(0);
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (i - mx) * (y[i] - my);
            den += (i - mx) * (i - mx);
        }
        return num / den;
    }

    /** A field of /proc/self/status (VmRSS, VmHWM) in bytes; 0 where /proc is not available. */
    static long rssBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temp folder left behind is harmless
        }
    }
}
