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
import studio.pixart.engine.lora.LoraMerger;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.scheduler.NoiseSource;
import studio.pixart.engine.scheduler.Scheduler;
import studio.pixart.engine.scheduler.Schedulers;
import studio.pixart.engine.text.T5Tokenizer;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.vae.AutoencoderKL;
import studio.pixart.engine.vae.TiledVae;
import studio.pixart.engine.vae.VaeException;

/**
 * The PixArt pipeline (diffusers' PixArtSigmaPipeline / PixArtAlphaPipeline). {@link #run} is the
 * reference's {@code __call__} in numbered sections, one method each, top to bottom: 1. check
 * inputs (size, aspect-ratio bin), 2. encode the prompts (pre-processing, T5 tokenizer, T5
 * encoder), 3. prepare timesteps, 4. prepare latents (seeded noise, or a start image for image to
 * image), 5. micro-conditions, 6. the denoising loop with classifier-free guidance (and the
 * inpainting blend), 7. VAE decode and resize back from the bin. Runs on the calling thread, which
 * owns every tensor; nothing native escapes a call.
 */
public final class PixArtPipeline implements AutoCloseable {
    /**
     * What the loop reports after each step (plain arrays, shapes in {@link #latentShape});
     * {@code firstIndex} is the first step this run performs (0 unless image to image).
     */
    public record StepState(int index, int total, double timestep, int[] latentShape, float[] latents,
                            float[] predOriginal, float[] noisePred, int firstIndex) {}

    /** Progress of one {@link #generate} call, on the calling thread; every method optional. */
    public interface Listener {
        default void onTextEncoded(int tokens, int limit, boolean truncated) {}

        default void onStep(StepState state) {}

        default void onDecoding(int done, int total) {}

        /** Something the user should know about this run (e.g. the float16 VAE overflowed and float32 took over). */
        default void onNotice(String message) {}
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
    private final PipelineOptions options;
    private final Device device;
    private final DataType dtype;
    private final PromptEncoder prompts;
    private final PixArtTransformer transformer;
    /** Replaced by a float32 VAE when a float16 decode overflows ({@link #withVaeRetry}). */
    private AutoencoderKL vae;
    private final JsonNode schedulerConfig;
    /** The running call's listener, for notices from the VAE retry (worker thread only). */
    private Listener running = new Listener() { };
    private final LoraMerger loraMerger;

    private PixArtPipeline(PipelineFolder folder, PipelineOptions options, Device device, DataType dtype,
                           PromptEncoder prompts, PixArtTransformer transformer, AutoencoderKL vae, JsonNode schedulerConfig) {
        this.folder = folder;
        this.options = options;
        this.device = device;
        this.dtype = dtype;
        this.prompts = prompts;
        this.transformer = transformer;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
        this.loraMerger = new LoraMerger(transformer);
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
            prompts = new PromptEncoder(folder, options.textEncoderDevice(), options.textEncoderDtype(), options.embeddingCache(),
                    options.trimPromptPadding(), options.textEncoder());
            l.onLoad("text_encoder", 0.05);
            if (!options.releaseTextEncoder()) {
                // kept for the session; otherwise loaded when a prompt is not cached and released after encoding
                prompts.loadTextEncoder();
            }
            l.onLoad("transformer", 0.6);
            tr = PixArtTransformer.load(folder.component("transformer"), device, dtype, options.transformerOptions());
            l.onLoad("vae", 0.9);
            // The SDXL VAE overflows in float16: decode in float32 unless asked otherwise.
            vae = AutoencoderKL.load(folder.component("vae"), device, options.vaeDtype());
            l.onLoad("ready", 1.0);
            return new PixArtPipeline(folder, options, device, dtype, prompts, tr, vae, folder.config("scheduler"));
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

    public PipelineOptions options() {
        return options;
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

    /** The LoRAs merged into the transformer now (the last request's). */
    public List<LoraMerger.Applied> loras() {
        return loraMerger.applied();
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

    /**
     * Runs one request: text to image, or image to image / inpainting when the request has an
     * {@link ImageToImage}. {@code cancelled} is polled between steps and between VAE tiles.
     */
    public Result generate(GenerationRequest req, Listener callback, BooleanSupplier cancelled) {
        return run(req, callback, cancelled);
    }

    /**
     * The pipeline's call, in the reference's order: each numbered section is one method below.
     */
    private Result run(GenerationRequest req, Listener callback, BooleanSupplier cancelled) {
        Listener listener = callback == null ? new Listener() { } : callback;
        running = listener;
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        Torch.prepareThread();
        Map<String, Long> timings = new LinkedHashMap<>();
        long t0 = System.nanoTime();

        // 1. Check inputs: the generated size (the aspect-ratio bin when binning) and the batch;
        //    then the request's LoRAs merged into the transformer (nothing to do when already merged)
        Sizes sizes = checkInputs(req);
        loraMerger.apply(req.loras());

        // 2. Encode the prompts (and the negative prompts for classifier-free guidance)
        TextConditioning text = encodePrompt(req, sizes);
        timings.put("text", millisSince(t0));
        listener.onTextEncoded(text.longestPrompt(), sizes.maxLength(), text.anyTruncated());

        // 3. Prepare timesteps
        Scheduler scheduler = prepareTimesteps(req);

        // 4. Prepare latents: seeded noise (one generator, or one per image), or the encoded start image
        //    noised to the first step run
        long tLoop = System.nanoTime();
        InitialLatents start = prepareLatents(req, sizes, scheduler, stop, listener, timings);

        // 5. Micro-conditions (PixArt-α at 1024 px only)
        MicroConditions micro = microConditions(sizes);

        // 6. Denoising loop (inpainting: the kept region re-noised to each step's level)
        double[] timesteps = new double[scheduler.numSteps()];
        float[] latents = denoise(req, sizes, text.embeddings(), micro, scheduler, start, timesteps, stop, listener);
        timings.put("denoise", millisSince(tLoop));
        if (stop.getAsBoolean()) {
            throw new CancellationException("cancelled before decoding");
        }

        // 7. Decode with the VAE and resize back from the bin (inpainting: the kept pixels pasted back)
        long tDec = System.nanoTime();
        float[] vaeOut = new float[sizes.batch() * 3 * sizes.genH() * sizes.genW()];
        List<RgbImage> images = decode(req, sizes, latents, vaeOut, stop, listener);
        if (req.imageToImage() != null && req.imageToImage().inpainting()) {
            images = pasteKeptRegion(images, req.imageToImage());
        }
        timings.put("decode", millisSince(tDec));
        timings.put("total", millisSince(t0));

        List<Map<String, Object>> meta = describe(req, sizes, scheduler.numSteps(), text.prompt());
        Trace trace = new Trace(text.prompt(), text.negative(), start.noise(), sizes.latentShape(), timesteps, latents,
                vaeOut, sizes.genH(), sizes.genW());
        return new Result(images, meta, timings, trace);
    }

    /**
     * Sizes of one call: requested (0 = the model's default) and generated (the aspect-ratio bin
     * when binning) in pixels, the latent grid, the batch (prompts × images per prompt, prompt-major)
     * and the token limit; {@code cfg} = classifier-free guidance (guidance &gt; 1, as the reference).
     */
    private record Sizes(int reqH, int reqW, int genH, int genW, int latentH, int latentW, int channels, int numPrompts,
                         int imagesPerPrompt, int maxLength, boolean cfg) {
        int batch() {
            return numPrompts * imagesPerPrompt;
        }

        /** Rows through the transformer: unconditional and conditional halves under guidance. */
        int modelRows() {
            return cfg ? 2 * batch() : batch();
        }

        int[] latentShape() {
            return new int[] {batch(), channels, latentH, latentW};
        }
    }

    /**
     * 1. Check inputs: the generated size must be a whole number of transformer patches in latent
     * space (the request and its start image were validated when built).
     */
    private Sizes checkInputs(GenerationRequest req) {
        Schedulers.checkStepCount(req.sampler(), schedulerConfig, req.steps());
        boolean alpha = folder.variant() == PipelineFolder.Variant.ALPHA;
        int maxLen = req.maxSequenceLength() > 0 ? req.maxSequenceLength() : defaultMaxSequenceLength();
        int scale = folder.vaeScaleFactor();
        int sampleSize = folder.transformerSampleSize();
        int[] size = ResolutionBinning.sizes(sampleSize, alpha, scale, req);
        int reqH = size[0];
        int reqW = size[1];
        int genH = size[2];
        int genW = size[3];
        int patch = transformer.config().patchSize();
        if (genH % (scale * patch) != 0 || genW % (scale * patch) != 0) {
            throw new IllegalArgumentException("size " + genW + "x" + genH + " must be a multiple of " + (scale * patch)
                    + " px (VAE factor " + scale + " × patch " + patch + "): use binning or another size");
        }
        return new Sizes(reqH, reqW, genH, genW, genH / scale, genW / scale, transformer.config().inChannels(),
                req.prompts().size(), req.numImages(), maxLen, req.guidance() > 1.0);
    }

    /**
     * The encoded prompts, and the rows fed to the transformer: each prompt repeated per image,
     * under guidance preceded by the negative prompts' rows (unconditional half first).
     */
    private record TextConditioning(PromptEmbeddings prompt, PromptEmbeddings negative, PromptEmbeddings embeddings) {
        int longestPrompt() {
            int max = 0;
            for (int i = 0; i < prompt.rows(); i++) {
                max = Math.max(max, prompt.tokenCounts()[i]);
            }
            return max;
        }

        boolean anyTruncated() {
            for (int i = 0; i < prompt.rows(); i++) {
                if (prompt.truncated()[i]) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * 2. Encode prompt: the prompts and the negative prompts in one T5 pass (one read of its weights).
     * T5 is released afterwards when the options say so (the caches keep the prompts).
     */
    private TextConditioning encodePrompt(GenerationRequest req, Sizes sizes) {
        int n = sizes.numPrompts();
        List<String> texts = new ArrayList<>(req.prompts());
        if (sizes.cfg()) {
            for (int i = 0; i < n; i++) {
                texts.add(req.negativeFor(i));
            }
        }
        PromptEmbeddings encoded = encodePrompts(texts, sizes.maxLength());
        PromptEmbeddings prompt = encoded.slice(0, n);
        PromptEmbeddings cond = prompt.repeatEach(sizes.imagesPerPrompt());
        PromptEmbeddings negative = sizes.cfg() ? encoded.slice(n, 2 * n) : null;
        NonFiniteCheck.textEmbeddings(prompt.embeds(), "prompt");
        if (options.releaseTextEncoder()) {
            // the largest component: free it before the loop
            prompts.releaseTextEncoder();
        }
        return negative == null ? new TextConditioning(prompt, null, cond)
                : new TextConditioning(prompt, negative, negative.repeatEach(sizes.imagesPerPrompt()).concat(cond));
    }

    /** 3. Prepare timesteps: the request's sampler built from the pipeline's scheduler config. */
    private Scheduler prepareTimesteps(GenerationRequest req) {
        Scheduler scheduler = Schedulers.create(req.sampler(), schedulerConfig);
        scheduler.setTimesteps(req.steps());
        return scheduler;
    }

    /**
     * The latents the loop starts from, the noise they were made with (kept for the trace and to
     * re-noise the kept region when inpainting), the first step to run (0 unless image to image;
     * the step count when none is left), where stochastic samplers draw further noise, and for
     * inpainting the encoded start image (one copy per image) and the latent mask (1 = repaint,
     * one value per latent cell, the same for every image and channel); both null otherwise.
     */
    private record InitialLatents(float[] latents, float[] noise, int firstStep, NoiseSource stepNoise,
                                  float[] clean, float[] repaint) {}

    /**
     * 4. Prepare latents. Text to image: the seeded noise × the scheduler's initial sigma. Image to
     * image: the encoded start image (one copy per image) noised to step ⌊steps·(1 − strength)⌋, so
     * the last ⌊steps·strength⌋ steps run, as diffusers' img2img; when no step is left, the encoded
     * image itself (decoding it gives the VAE round trip). Noise comes from one generator for the
     * batch or one per image ({@link BatchNoise}).
     */
    private InitialLatents prepareLatents(GenerationRequest req, Sizes sizes, Scheduler scheduler, BooleanSupplier stop,
                                          Listener listener, Map<String, Long> timings) {
        int steps = scheduler.numSteps();
        // The CPU generator is process-global: seed and draw here, on the worker, then move.
        BatchNoise generators = BatchNoise.of(req);
        float[] noise = generators.initial(sizes.channels(), sizes.latentH(), sizes.latentW());
        ImageToImage start = req.imageToImage();
        if (start == null) {
            float[] latents = noise.clone();
            float sigma0 = scheduler.initNoiseSigma();
            if (sigma0 != 1f) {
                for (int i = 0; i < latents.length; i++) {
                    latents[i] *= sigma0;
                }
            }
            return new InitialLatents(latents, noise, 0, generators, null, null);
        }
        long tEnc = System.nanoTime();
        float[] clean = encodeImage(ImageResize.cover(start.image(), sizes.genW(), sizes.genH()), stop, listener);
        float[] batchClean = new float[noise.length];
        for (int b = 0; b < sizes.batch(); b++) {
            System.arraycopy(clean, 0, batchClean, b * clean.length, clean.length);
        }
        int first = start.firstStep(steps);
        float[] latents = first < steps ? scheduler.addNoise(batchClean, noise, first) : batchClean.clone();
        float[] repaint = start.inpainting() ? latentMask(start.mask(), sizes) : null;
        timings.put("encode", millisSince(tEnc));
        return new InitialLatents(latents, noise, first, generators, repaint == null ? null : batchClean, repaint);
    }

    /**
     * The inpainting mask on the latent grid: fitted to the generated size like the start image,
     * thresholded at 0.5 (mean of R, G, B), and a latent cell repainted (1) when any of its pixels is.
     */
    static float[] latentMask(RgbImage mask, Sizes sizes) {
        RgbImage fitted = ImageResize.cover(mask, sizes.genW(), sizes.genH());
        int scale = sizes.genH() / sizes.latentH();
        float[] cells = new float[sizes.latentH() * sizes.latentW()];
        for (int y = 0; y < sizes.genH(); y++) {
            for (int x = 0; x < sizes.genW(); x++) {
                float v = (fitted.sample(x, y, 0) + fitted.sample(x, y, 1) + fitted.sample(x, y, 2)) / 3f;
                if (v >= 0.5f) {
                    cells[(y / scale) * sizes.latentW() + x / scale] = 1f;
                }
            }
        }
        return cells;
    }

    /** Resolution and aspect-ratio rows per transformer row; absent (null arrays) when unused. */
    private record MicroConditions(float[] resolution, float[] aspectRatio) {}

    /**
     * 5. Micro-conditions: only PixArt-α at 1024 px (sample size 128) was trained with them; the
     * values are the generated (binned) size, as the reference.
     */
    private MicroConditions microConditions(Sizes sizes) {
        boolean alpha = folder.variant() == PipelineFolder.Variant.ALPHA;
        if (!(alpha && folder.transformerSampleSize() == 128)) {
            return new MicroConditions(null, null);
        }
        int rows = sizes.modelRows();
        float[] resolution = new float[rows * 2];
        float[] aspect = new float[rows];
        for (int r = 0; r < rows; r++) {
            resolution[2 * r] = sizes.genH();
            resolution[2 * r + 1] = sizes.genW();
            aspect[r] = (float) ((double) sizes.genH() / sizes.genW());
        }
        return new MicroConditions(resolution, aspect);
    }

    /**
     * 6. Denoising loop: per step the transformer on (unconditional, conditional) rows, guidance,
     * the noise half of learned-sigma outputs, the scheduler step. Fills {@code timesteps} for the
     * steps run and returns the final latents.
     */
    private float[] denoise(GenerationRequest req, Sizes sizes, PromptEmbeddings text, MicroConditions micro,
                            Scheduler scheduler, InitialLatents start, double[] timesteps, BooleanSupplier stop,
                            Listener listener) {
        boolean alpha = folder.variant() == PipelineFolder.Variant.ALPHA;
        int steps = scheduler.numSteps();
        int rows = sizes.modelRows();
        int channels = sizes.channels();
        int outChannels = transformer.config().outChannels();
        Shape latentShape = new Shape(sizes.batch(), channels, sizes.latentH(), sizes.latentW());
        float[] latents = start.latents();
        try (NDManager run = Torch.newManager()) {
            NDArray textEmb = run.create(text.embeds(), new Shape(text.rows(), text.length(), text.dim()))
                    .toDevice(device, false).toType(dtype, false);
            NDArray textMask = run.create(text.attentionMask(), new Shape(text.rows(), text.length())).toDevice(device, false);
            NDArray resArr = micro.resolution() == null ? null
                    : run.create(micro.resolution(), new Shape(rows, 2)).toDevice(device, false).toType(dtype, false);
            NDArray arArr = micro.aspectRatio() == null ? null
                    : run.create(micro.aspectRatio(), new Shape(rows, 1)).toDevice(device, false).toType(dtype, false);
            for (int i = start.firstStep(); i < steps; i++) {
                if (stop.getAsBoolean()) {
                    throw new CancellationException("cancelled at step " + i + " of " + steps);
                }
                timesteps[i] = scheduler.timestep(i);
                float[] modelIn = scheduler.scaleModelInput(latents, i);
                float[] guided;
                // One scope per step; the transformer scopes each block inside it, so memory stays flat.
                try (NDManager step = run.newSubManager()) {
                    NDArray x = step.create(modelIn, latentShape).toDevice(device, false).toType(dtype, false);
                    NDArray xIn = sizes.cfg() ? x.concat(x, 0) : x;
                    NDArray t = scheduler.integerTimesteps()
                            ? step.full(new Shape(rows), (int) scheduler.timestep(i)).toType(DataType.INT64, false)
                            : step.full(new Shape(rows), (float) scheduler.timestep(i));
                    t = t.toDevice(device, false);
                    NDArray out = transformer.forward(xIn, t, textEmb, textMask, resArr, arArr).toType(DataType.FLOAT32, false);
                    NDArray pred;
                    if (sizes.cfg()) {
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
                Scheduler.StepResult sr = scheduler.step(guided, i, latents, start.stepNoise());
                // PixArt-α's one-step (DMD) mode returns the x0 prediction.
                latents = (alpha && steps == 1) ? sr.predOriginalSample() : sr.prevSample();
                NonFiniteCheck.afterStep(i, steps, guided, latents);
                float[] predOriginal = sr.predOriginalSample();
                if (start.repaint() != null) {
                    latents = keepKnownRegion(latents, start, scheduler, i);
                    predOriginal = predOriginal == null ? null : blend(predOriginal, start.clean(), start.repaint());
                }
                listener.onStep(new StepState(i, steps, timesteps[i], sizes.latentShape(), latents, predOriginal, guided,
                        start.firstStep()));
            }
        }
        return latents;
    }

    /**
     * 6b. Inpainting, after step {@code i}: the kept cells become the encoded start image noised to
     * the next step's level with the start noise (after the last step: the encoded image itself),
     * as diffusers' inpainting pipeline does for a model without mask inputs.
     */
    private static float[] keepKnownRegion(float[] latents, InitialLatents start, Scheduler scheduler, int i) {
        boolean last = i + 1 >= scheduler.numSteps();
        float[] known = last ? start.clean() : scheduler.addNoise(start.clean(), start.noise(), i + 1);
        return blend(latents, known, start.repaint());
    }

    /** repaint · generated + (1 − repaint) · known, the latent mask broadcast over images and channels. */
    private static float[] blend(float[] generated, float[] known, float[] repaint) {
        float[] out = new float[generated.length];
        int plane = repaint.length;
        for (int k = 0; k < out.length; k++) {
            float m = repaint[k % plane];
            out[k] = m * generated[k] + (1f - m) * known[k];
        }
        return out;
    }

    /**
     * 7. Decode: latents / scaling factor + shift through the VAE one image at a time (planar
     * output copied into {@code vaeOut}), resized and centre-cropped back to the requested size
     * when binning changed it. Decoding progress: (image · tiles + done) of (batch · tiles).
     */
    private List<RgbImage> decode(GenerationRequest req, Sizes sizes, float[] latents, float[] vaeOut,
                                  BooleanSupplier stop, Listener listener) {
        float sf = (float) vae.config().scalingFactor();
        float shift = (float) vae.config().shiftFactor();
        int batch = sizes.batch();
        int channels = sizes.channels();
        int per = channels * sizes.latentH() * sizes.latentW();
        List<RgbImage> images = new ArrayList<>();
        listener.onDecoding(0, batch);
        for (int b = 0; b < batch; b++) {
            float[] z = new float[per];
            for (int k = 0; k < per; k++) {
                z[k] = latents[b * per + k] / sf + shift;
            }
            final int image = b;
            float[] decoded = decodeLatents(z, channels, sizes.latentH(), sizes.latentW(), stop,
                    (done, total) -> listener.onDecoding(image * total + done, batch * total));
            System.arraycopy(decoded, 0, vaeOut, b * decoded.length, decoded.length);
            float[] img = decoded;
            int h = sizes.genH();
            int w = sizes.genW();
            if (req.binning() && (h != sizes.reqH() || w != sizes.reqW())) {
                img = ImageResize.resizeAndCrop(decoded, 3, h, w, sizes.reqH(), sizes.reqW());
                h = sizes.reqH();
                w = sizes.reqW();
            }
            images.add(toImage(img, h, w));
        }
        return images;
    }

    /**
     * 7b. Inpainting: the kept region (mask &lt; 0.5) of each output is the start image's own pixels,
     * both fitted to the output size. The latents there already are the encoded start image, but
     * the VAE decoder's group norms (statistics over the whole image) and mid-block attention let the
     * repainted region shift the kept one; pasting makes "keep" mean the pixels the user gave.
     */
    private static List<RgbImage> pasteKeptRegion(List<RgbImage> images, ImageToImage start) {
        List<RgbImage> out = new ArrayList<>();
        for (RgbImage generated : images) {
            int w = generated.width();
            int h = generated.height();
            RgbImage original = ImageResize.cover(start.image(), w, h);
            RgbImage mask = ImageResize.cover(start.mask(), w, h);
            float[] px = generated.samples();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if ((mask.sample(x, y, 0) + mask.sample(x, y, 1) + mask.sample(x, y, 2)) / 3f < 0.5f) {
                        for (int c = 0; c < 3; c++) {
                            px[3 * (y * w + x) + c] = original.sample(x, y, c);
                        }
                    }
                }
            }
            out.add(new RgbImage(w, h, px));
        }
        return out;
    }

    /** The settings behind each image, prompt-major as the images. */
    private List<Map<String, Object>> describe(GenerationRequest req, Sizes sizes, int steps, PromptEmbeddings prompt) {
        List<Map<String, Object>> meta = new ArrayList<>();
        for (int p = 0; p < sizes.numPrompts(); p++) {
            for (int k = 0; k < sizes.imagesPerPrompt(); k++) {
                Map<String, Object> m = GenerationMetadata.describe(req, folder, p, k, sizes.reqW(), sizes.reqH(),
                        sizes.genW(), sizes.genH(), sizes.maxLength(), steps, prompt.tokenCounts()[p], prompt.truncated()[p]);
                GenerationMetadata.addLoras(m, loraMerger.applied());
                meta.add(m);
            }
        }
        return meta;
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
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
        return withVaeRetry("encode", () -> {
            try (NDManager m = Torch.newManager()) {
                NDArray x = m.create(chw, new Shape(1, 3, h, w)).toDevice(device, false).toType(vae.dtype(), false);
                try (AutoencoderKL.Moments moments = TiledVae.encodeTiled(vae, x, options.vaeTiles(),
                        (done, total) -> { }, cancelled == null ? () -> false : cancelled)) {
                    float[] mean = moments.mean().toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
                    for (int i = 0; i < mean.length; i++) {
                        mean[i] = (mean[i] - shift) * sf;
                    }
                    return mean;
                }
            }
        });
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
        return withVaeRetry("decode", () -> {
            try (NDManager m = Torch.newManager()) {
                NDArray zt = m.create(z, new Shape(1, channels, lh, lw)).toDevice(device, false).toType(vae.dtype(), false);
                NDArray out = TiledVae.decodeTiled(vae, zt, options.vaeTiles(), progress, cancelled);
                // AutoencoderKL.decode reports NaN/Inf per tile with a specific message
                return out.toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
            }
        });
    }

    /**
     * Runs a VAE call; when a float16 VAE (planned with the float32 retry) produces NaN/Inf, says
     * so, reloads the VAE in float32 for the rest of the session and runs the call again.
     */
    private float[] withVaeRetry(String what, java.util.function.Supplier<float[]> call) {
        try {
            return call.get();
        } catch (VaeException e) {
            if (vae.dtype() != DataType.FLOAT16 || !options.vaeFloat32Retry()) {
                throw e;
            }
            AutoencoderKL wide = AutoencoderKL.load(folder.component("vae"), device, DataType.FLOAT32);
            vae.close();
            vae = wide;
            running.onNotice("the VAE " + what + " overflowed in float16 (NaN/Inf; the SDXL VAE does): done again in float32, "
                    + "and in float32 from now on");
            return call.get();
        }
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
