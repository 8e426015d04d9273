package studio.pixart.engine.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import studio.pixart.engine.image.ImageResize;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.SeededNoise;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.scheduler.NoiseSource;
import studio.pixart.engine.scheduler.Scheduler;
import studio.pixart.engine.scheduler.Schedulers;
import studio.pixart.engine.text.T5Tokenizer;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.vae.AutoencoderKL;
import studio.pixart.engine.vae.TiledVae;

/**
 * The PixArt text-to-image pipeline (diffusers' PixArtSigmaPipeline / PixArtAlphaPipeline), top to
 * bottom: prompt pre-processing → T5 tokenizer → T5 encoder → seeded noise → denoising loop with
 * classifier-free guidance → VAE decode → resize back from the aspect-ratio bin. Runs on the
 * calling thread, which owns every tensor; nothing native escapes a call.
 */
public final class PixArtPipeline implements AutoCloseable {
    /** What the loop reports after each step (plain arrays, shapes in {@link #latentShape}). */
    public record StepState(int index, int total, double timestep, int[] latentShape, float[] latents,
                            float[] predOriginal, float[] noisePred) {}

    /** Progress of one {@link #generate} call, on the calling thread; every method optional. */
    public interface Listener {
        default void onTextEncoded(int tokens, int limit, boolean truncated) {}

        default void onStep(StepState state) {}

        default void onDecoding(int done, int total) {}
    }

    public interface LoadListener {
        void onLoad(String component, double progress);
    }

    /** Images in prompt-major order and what produced them. */
    public record Result(List<RgbImage> images, List<Map<String, Object>> metadata, Map<String, Long> timingsMillis,
                         Trace trace) {}

    /** Internals kept for tests and debugging. */
    public record Trace(PromptEmbeddings prompt, PromptEmbeddings negative, float[] initialNoise, int[] latentShape,
                        double[] timesteps, float[] finalLatents, float[] vaeOutput, int generatedHeight, int generatedWidth) {}

    private final PipelineFolder folder;
    private final Device device;
    private final DataType dtype;
    private final PromptEncoder prompts;
    private final PixArtTransformer transformer;
    private final AutoencoderKL vae;
    private final JsonNode schedulerConfig;

    private PixArtPipeline(PipelineFolder folder, Device device, DataType dtype, PromptEncoder prompts,
                           PixArtTransformer transformer, AutoencoderKL vae, JsonNode schedulerConfig) {
        this.folder = folder;
        this.device = device;
        this.dtype = dtype;
        this.prompts = prompts;
        this.transformer = transformer;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
    }

    /** Loads every component; call on the engine worker thread. */
    public static PixArtPipeline load(PipelineFolder folder, PipelineOptions options, LoadListener listener) {
        folder.requireComplete();
        Torch.prepareThread();
        Device device = options.device();
        DataType dtype = options.dtype();
        LoadListener l = listener == null ? (c, p) -> { } : listener;
        PromptEncoder prompts = null;
        PixArtTransformer tr = null;
        AutoencoderKL vae = null;
        try {
            l.onLoad("tokenizer", 0.0);
            prompts = new PromptEncoder(folder, device, dtype, options.embeddingCache(), options.trimPromptPadding());
            l.onLoad("text_encoder", 0.05);
            prompts.loadTextEncoder();
            l.onLoad("transformer", 0.6);
            tr = PixArtTransformer.load(folder.component("transformer"), device, dtype, options.transformerOptions());
            l.onLoad("vae", 0.9);
            // The SDXL VAE overflows in float16: decode in float32 unless asked otherwise.
            vae = AutoencoderKL.load(folder.component("vae"), device, options.vaeDtype());
            l.onLoad("ready", 1.0);
            return new PixArtPipeline(folder, device, dtype, prompts, tr, vae, folder.config("scheduler"));
        } catch (RuntimeException e) {
            if (prompts != null) {
                prompts.close();
            }
            if (tr != null) {
                tr.close();
            }
            if (vae != null) {
                vae.close();
            }
            throw e;
        }
    }

    public PipelineFolder folder() {
        return folder;
    }

    public Device device() {
        return device;
    }

    public DataType dtype() {
        return dtype;
    }

    public T5Tokenizer tokenizer() {
        return prompts.tokenizer();
    }

    public AutoencoderKL vae() {
        return vae;
    }

    public PixArtTransformer transformer() {
        return transformer;
    }

    public int defaultMaxSequenceLength() {
        return folder.variant().defaultMaxSequenceLength;
    }

    /** Frees the T5 weights (the largest component); prompts then come from the caches or reload it. */
    public void releaseTextEncoder() {
        prompts.releaseTextEncoder();
    }

    public PromptEncoder prompts() {
        return prompts;
    }

    /** Pre-processes, tokenizes and encodes texts exactly as the pipeline does (clean_caption=False). */
    public PromptEmbeddings encodePrompts(List<String> texts, int maxLength) {
        return prompts.encode(texts, maxLength);
    }

    /** Runs one request (text to image). {@code cancelled} is polled between steps and between VAE tiles. */
    public Result generate(GenerationRequest req, Listener callback, BooleanSupplier cancelled) {
        return run(req, null, 0, callback, cancelled);
    }

    /**
     * Image to image: encodes {@code init} (exactly the requested size, a multiple of VAE factor ×
     * patch; no binning), noises it to {@code strength} (the last ⌊steps·strength⌋ steps of the
     * schedule are run, as diffusers' img2img) and denoises at that size. Used by the 4K path.
     */
    public Result refine(GenerationRequest req, RgbImage init, double strength, Listener callback, BooleanSupplier cancelled) {
        if (!(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
        if (init.width() != req.width() || init.height() != req.height() || req.binning()) {
            throw new IllegalArgumentException("refine needs the init image at exactly the requested size, binning off");
        }
        return run(req, init, strength, callback, cancelled);
    }

    private Result run(GenerationRequest req, RgbImage init, double strength, Listener callback, BooleanSupplier cancelled) {
        Listener listener = callback == null ? new Listener() { } : callback;
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        Torch.prepareThread();
        Map<String, Long> timings = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        boolean alpha = folder.variant() == PipelineFolder.Variant.ALPHA;
        int maxLen = req.maxSequenceLength() > 0 ? req.maxSequenceLength() : defaultMaxSequenceLength();
        int scale = folder.vaeScaleFactor();
        int sampleSize = folder.transformerSampleSize();
        int reqH = req.height() > 0 ? req.height() : sampleSize * scale;
        int reqW = req.width() > 0 ? req.width() : sampleSize * scale;
        int genH = reqH;
        int genW = reqW;
        if (req.binning()) {
            ResolutionBinning.Bin bin = ResolutionBinning.forSampleSize(sampleSize, alpha).classify(reqH, reqW);
            genH = bin.height();
            genW = bin.width();
        }
        int patch = transformer.config().patchSize();
        if (genH % (scale * patch) != 0 || genW % (scale * patch) != 0) {
            throw new IllegalArgumentException("size " + genW + "x" + genH + " must be a multiple of " + (scale * patch)
                    + " px (VAE factor " + scale + " × patch " + patch + "): use binning or another size");
        }
        boolean cfg = req.guidance() > 1.0;
        int numPrompts = req.prompts().size();
        int n = req.numImages();

        // Text
        PromptEmbeddings prompt = encodePrompts(req.prompts(), maxLen);
        PromptEmbeddings negative = null;
        if (cfg) {
            List<String> negs = new ArrayList<>();
            for (int i = 0; i < numPrompts; i++) {
                negs.add(req.negativeFor(i));
            }
            negative = encodePrompts(negs, maxLen);
        }
        NonFiniteCheck.textEmbeddings(prompt.embeds(), "prompt");
        PromptEmbeddings cond = prompt.repeatEach(n);
        PromptEmbeddings text = cfg ? negative.repeatEach(n).concat(cond) : cond;
        timings.put("text", (System.nanoTime() - t0) / 1_000_000);
        int maxTokens = 0;
        boolean anyTruncated = false;
        for (int i = 0; i < prompt.rows(); i++) {
            maxTokens = Math.max(maxTokens, prompt.tokenCounts()[i]);
            anyTruncated |= prompt.truncated()[i];
        }
        listener.onTextEncoded(maxTokens, maxLen, anyTruncated);

        int batch = numPrompts * n;
        int lh = genH / scale;
        int lw = genW / scale;
        int channels = transformer.config().inChannels();
        int[] latentShape = {batch, channels, lh, lw};
        Scheduler scheduler = Schedulers.create(req.sampler(), schedulerConfig);
        scheduler.setTimesteps(req.steps());
        int steps = scheduler.numSteps();
        double[] timesteps = new double[steps];

        long tLoop = System.nanoTime();
        // The CPU generator is process-global: seed and draw here, on the worker, then move.
        float[] noise = SeededNoise.randn(req.seed(), batch, channels, lh, lw);
        float[] latents;
        int start = 0;
        if (init == null) {
            latents = noise.clone();
            float sigma0 = scheduler.initNoiseSigma();
            if (sigma0 != 1f) {
                for (int i = 0; i < latents.length; i++) {
                    latents[i] *= sigma0;
                }
            }
        } else {
            long tEnc = System.nanoTime();
            float[] clean = encodeImage(init, stop, listener);
            float[] batchClean = new float[noise.length];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(clean, 0, batchClean, b * clean.length, clean.length);
            }
            start = steps - Math.min((int) (steps * strength), steps);
            if (start >= steps) {
                throw new IllegalArgumentException("strength " + strength + " with " + steps + " steps leaves no step to run");
            }
            latents = scheduler.addNoise(batchClean, noise, start);
            timings.put("encode", (System.nanoTime() - tEnc) / 1_000_000);
        }
        NoiseSource noiseSource = len -> SeededNoise.next(len);

        boolean microConditions = alpha && sampleSize == 128;
        float[] resolution = null;
        float[] aspect = null;
        int rows = cfg ? 2 * batch : batch;
        if (microConditions) {
            resolution = new float[rows * 2];
            aspect = new float[rows];
            for (int r = 0; r < rows; r++) {
                resolution[2 * r] = genH;
                resolution[2 * r + 1] = genW;
                aspect[r] = (float) ((double) genH / genW);
            }
        }
        int outChannels = transformer.config().outChannels();
        try (NDManager run = Torch.newManager()) {
            NDArray textEmb = run.create(text.embeds(), new Shape(text.rows(), text.length(), text.dim()))
                    .toDevice(device, false).toType(dtype, false);
            NDArray textMask = run.create(text.attentionMask(), new Shape(text.rows(), text.length())).toDevice(device, false);
            NDArray resArr = resolution == null ? null
                    : run.create(resolution, new Shape(rows, 2)).toDevice(device, false).toType(dtype, false);
            NDArray arArr = aspect == null ? null
                    : run.create(aspect, new Shape(rows, 1)).toDevice(device, false).toType(dtype, false);
            for (int i = start; i < steps; i++) {
                if (stop.getAsBoolean()) {
                    throw new CancellationException("cancelled at step " + i + " of " + steps);
                }
                timesteps[i] = scheduler.timestep(i);
                float[] modelIn = scheduler.scaleModelInput(latents, i);
                float[] guided;
                // One scope per step; the transformer scopes each block inside it, so memory stays flat.
                try (NDManager step = run.newSubManager()) {
                    NDArray x = step.create(modelIn, new Shape(batch, channels, lh, lw)).toDevice(device, false).toType(dtype, false);
                    NDArray xIn = cfg ? x.concat(x, 0) : x;
                    NDArray t = scheduler.integerTimesteps()
                            ? step.full(new Shape(rows), (int) scheduler.timestep(i)).toType(DataType.INT64, false)
                            : step.full(new Shape(rows), (float) scheduler.timestep(i));
                    t = t.toDevice(device, false);
                    NDArray out = transformer.forward(xIn, t, textEmb, textMask, resArr, arArr).toType(DataType.FLOAT32, false);
                    NDArray pred;
                    if (cfg) {
                        NDList halves = out.split(2, 0);
                        NDArray uncond = halves.get(0);
                        NDArray textPred = halves.get(1);
                        pred = uncond.add(textPred.sub(uncond).mul((float) req.guidance()));
                    } else {
                        pred = out;
                    }
                    // Learned-sigma models predict 2C channels; the scheduler takes the noise half.
                    if (outChannels / 2 == channels) {
                        pred = pred.get(new NDIndex(":, :{}", channels));
                    }
                    guided = pred.toDevice(Device.cpu(), false).toFloatArray();
                }
                Scheduler.StepResult sr = scheduler.step(guided, i, latents, noiseSource);
                // PixArt-α's one-step (DMD) mode returns the x0 prediction.
                latents = (alpha && steps == 1) ? sr.predOriginalSample() : sr.prevSample();
                NonFiniteCheck.afterStep(i, steps, guided, latents);
                listener.onStep(new StepState(i, steps, timesteps[i], latentShape, latents, sr.predOriginalSample(), guided));
            }
        }
        timings.put("denoise", (System.nanoTime() - tLoop) / 1_000_000);
        if (stop.getAsBoolean()) {
            throw new CancellationException("cancelled before decoding");
        }

        long tDec = System.nanoTime();
        float sf = (float) vae.config().scalingFactor();
        float shift = (float) vae.config().shiftFactor();
        int per = channels * lh * lw;
        List<RgbImage> images = new ArrayList<>();
        float[] vaeOut = new float[batch * 3 * genH * genW];
        // decoding starts; then per tile: (image · tiles + done) of (batch · tiles)
        listener.onDecoding(0, batch);
        for (int b = 0; b < batch; b++) {
            float[] z = new float[per];
            for (int k = 0; k < per; k++) {
                z[k] = latents[b * per + k] / sf + shift;
            }
            final int image = b;
            float[] decoded = decodeLatents(z, channels, lh, lw, stop,
                    (done, total) -> listener.onDecoding(image * total + done, batch * total));
            System.arraycopy(decoded, 0, vaeOut, b * decoded.length, decoded.length);
            float[] img = decoded;
            int h = genH;
            int w = genW;
            if (req.binning() && (h != reqH || w != reqW)) {
                img = ImageResize.resizeAndCrop(decoded, 3, h, w, reqH, reqW);
                h = reqH;
                w = reqW;
            }
            images.add(toImage(img, h, w));
        }
        timings.put("decode", (System.nanoTime() - tDec) / 1_000_000);
        timings.put("total", (System.nanoTime() - t0) / 1_000_000);

        List<Map<String, Object>> meta = new ArrayList<>();
        for (int p = 0; p < numPrompts; p++) {
            for (int k = 0; k < n; k++) {
                meta.add(GenerationMetadata.describe(req, folder, p, k, reqW, reqH, genW, genH, maxLen, steps,
                        prompt.tokenCounts()[p], prompt.truncated()[p]));
            }
        }
        Trace trace = new Trace(prompt, negative, noise, latentShape, timesteps, latents, vaeOut, genH, genW);
        return new Result(images, meta, timings, trace);
    }

    /**
     * VAE encode of an image to clean latents in the diffusion model's space ((mean − shift) ×
     * scaling factor; the distribution's mean, so the result is deterministic), tiled within the
     * memory budget.
     */
    public float[] encodeImage(RgbImage image, BooleanSupplier cancelled, Listener listener) {
        int h = image.height();
        int w = image.width();
        float[] hwc = image.samples();
        float[] chw = new float[3 * h * w];
        for (int i = 0; i < h * w; i++) {
            for (int c = 0; c < 3; c++) {
                chw[c * h * w + i] = hwc[3 * i + c] * 2f - 1f;
            }
        }
        float sf = (float) vae.config().scalingFactor();
        float shift = (float) vae.config().shiftFactor();
        try (NDManager m = Torch.newManager()) {
            NDArray x = m.create(chw, new Shape(1, 3, h, w)).toDevice(device, false).toType(vae.dtype(), false);
            try (AutoencoderKL.Moments moments = TiledVae.encodeTiled(vae, x, vaeTiles(),
                    (done, total) -> { }, cancelled == null ? () -> false : cancelled)) {
                float[] mean = moments.mean().toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
                for (int i = 0; i < mean.length; i++) {
                    mean[i] = (mean[i] - shift) * sf;
                }
                return mean;
            }
        }
    }

    /** VAE decode of one latent (C, h, w), already divided by the scaling factor → planar (3, H, W), unclamped. */
    public float[] decodeLatents(float[] z, int channels, int lh, int lw) {
        return decodeLatents(z, channels, lh, lw, () -> false, (d, t) -> { });
    }

    /**
     * As above, tiled when the whole image does not fit the VAE memory budget (a single tile is
     * the plain decode, bit for bit); cancellation is checked between tiles.
     */
    public float[] decodeLatents(float[] z, int channels, int lh, int lw, BooleanSupplier cancelled,
                                 TiledVae.TileListener progress) {
        try (NDManager m = Torch.newManager()) {
            NDArray zt = m.create(z, new Shape(1, channels, lh, lw)).toDevice(device, false).toType(vae.dtype(), false);
            NDArray out = TiledVae.decodeTiled(vae, zt, vaeTiles(), progress, cancelled);
            // AutoencoderKL.decode reports NaN/Inf per tile with a specific message
            return out.toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
        }
    }

    /**
     * VAE tiling: untiled (exactly the reference) while the image fits the memory budget and, on
     * the CPU, is at most 1 MP (128 × 128 latent cells — every 1024-class bin); larger images on the
     * CPU are tiled because the mid-block attention grows with the square of the area.
     */
    private TiledVae.TileOptions vaeTiles() {
        TiledVae.TileOptions auto = TiledVae.TileOptions.auto();
        return device.isGpu() ? auto : auto.withMaxUntiledArea(128 * 128);
    }

    /** clamp(x / 2 + 0.5, 0, 1) and planar → interleaved, as the reference's output_type="np". */
    public static RgbImage toImage(float[] planar, int h, int w) {
        float[] hwc = new float[3 * h * w];
        int plane = h * w;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float v = planar[c * plane + i] / 2f + 0.5f;
                hwc[3 * i + c] = v < 0f ? 0f : (v > 1f ? 1f : v);
            }
        }
        return new RgbImage(w, h, hwc);
    }

    @Override
    public void close() {
        releaseTextEncoder();
        transformer.close();
        vae.close();
    }
}
